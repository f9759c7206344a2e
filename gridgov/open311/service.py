"""Open311 GeoReport v2 mapped onto our catalog and events.

- services = the **public** items of the current catalog (``CatalogItem.public``; ``service_code`` =
  item code, ``group`` = its category's name, ``keywords`` = its keywords); every service is
  ``realtime`` with no extra attributes (``metadata: false``). An internal item is unknown here: absent
  from the list, 404 as a definition, 404 on POST, and its events are not published.
- a POST files an event through :func:`gridgov.events.service.report` (channel ``open311``); the
  key that filed it, the media URL and the standard address id go into ``open311_requests``.
- GET requests publishes events reported by the public (channels :data:`PUBLIC_CHANNELS`, never a
  dispute) with the spec's fields only: never a reporter's name, phone, e-mail or account; in the
  sensitive categories (:data:`WITHHELD_CATEGORIES`) without description, place or media either;
  elsewhere with the personal data typed into the description, the address and the status notes
  masked (:func:`gridgov.access.redact.redact`).

Bad input raises :class:`gridgov.errors.AppError` kinds with an Open311 status (400 bad or missing
argument, 403 missing or wrong api_key, 404 unknown service/request/jurisdiction); ``details``
``{"problems": [...]}`` lists every problem found, each becoming one ``<error>`` of the answer.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import Department
from gridgov.access.redact import redact
from gridgov.db import utcnow
from gridgov.errors import AppError, Invalid, NotFound
from gridgov.events import catalog
from gridgov.events import service as events
from gridgov.events.models import CatalogCategory, CatalogItem, Event, EventLog
from gridgov.events.workflow import FINAL, STATE_LABELS, State
from gridgov.open311 import formats
from gridgov.open311.keys import check_api_key
from gridgov.open311.models import Open311Request
from gridgov.settings import get_settings

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: events from these channels are public through GET requests (what residents reported themselves)
PUBLIC_CHANNELS = ("open311", "resident")
#: categories whose requests are published without content or place (they name people or are police
#: leads): 平安建设, 矛盾纠纷, 治安隐患, 特殊人群 — status and dates only
WITHHELD_CATEGORIES = frozenset({"ZZ", "MD", "ZA", "TS"})
WITHHELD_FIELDS = ("description", "address", "address_id", "lat", "long", "media_url")
CLOSED = frozenset(s.value for s in FINAL)
OPEN = frozenset(s.value for s in State) - CLOSED
MAX_SPAN = timedelta(days=90)
MAX_RESULTS = 1000
MAX_IDS = 1000
NOTE_ACTIONS = ("handle", "close", "reject")
#: the longest value accepted for each argument of POST Service Request
LIMITS = {
    "service_code": 16,
    "lat": 40,
    "long": 40,
    "address_string": 200,
    "address_id": 32,
    "email": 254,
    "device_id": 128,
    "account_id": 64,
    "first_name": 30,
    "last_name": 30,
    "phone": 20,
    "description": 4000,
    "media_url": 500,
    "jurisdiction_id": 100,
    "api_key": 200,
}
#: the arguments of POST Service Request we read (others, like ``attribute[...]``, are ignored)
POST_FIELDS = tuple(LIMITS)


def bad(*problems: str) -> Invalid:
    """A 400 listing every problem (one Open311 ``<error>`` each)."""
    return Invalid(
        "；".join(problems), code="open311_bad_request", status=400, details={"problems": list(problems)}
    )


def local_tz() -> tzinfo:
    return ZoneInfo(get_settings().work_timezone)


def check_jurisdiction(jurisdiction_id: str | None) -> None:
    """One jurisdiction per server: when ``open311_jurisdiction`` is configured, a different
    ``jurisdiction_id`` is a 404 (the spec's "jurisdiction_id provided was not found"); leaving it
    out is fine. Unconfigured, any value is accepted."""
    ours = getattr(get_settings(), "open311_jurisdiction", None)
    given = (jurisdiction_id or "").strip()
    if ours and given and given.lower() != str(ours).lower():
        raise NotFound(
            f"jurisdiction_id：未找到辖区「{given[:100]}」，本接口服务的辖区是 {ours}",
            code="open311_jurisdiction_not_found",
        )


# --- services ---------------------------------------------------------------------------------


def _service(item: CatalogItem, group: str | None) -> dict[str, Any]:
    return {
        "service_code": item.code,
        "service_name": item.name,
        "description": item.description or "",
        "metadata": False,
        "type": "realtime",
        "keywords": formats.keywords_csv(item.keywords),
        "group": group,
    }


def services(db: Session) -> list[dict[str, Any]]:
    """Every public item of the current catalog, in category order."""
    v = catalog.current_version(db)
    cats = {
        c.code: (c.sort, c.name)
        for c in db.scalars(select(CatalogCategory).where(CatalogCategory.version_id == v.id))
    }
    items = db.scalars(
        select(CatalogItem).where(CatalogItem.version_id == v.id, CatalogItem.public.is_(True))
    )
    ordered = sorted(items, key=lambda i: (cats.get(i.category_code, (1 << 30, ""))[0], i.code))
    return [_service(i, cats.get(i.category_code, (0, None))[1]) for i in ordered]


def service_definition(db: Session, code: str) -> dict[str, Any]:
    """The definition of one service: no attributes beyond the core fields (``metadata: false``)."""
    v = catalog.current_version(db)
    plain = _plain(code, 16)
    item = (
        None
        if plain is None
        else db.scalar(
            select(CatalogItem).where(
                CatalogItem.version_id == v.id, CatalogItem.code == plain, CatalogItem.public.is_(True)
            )
        )
    )
    if item is None:
        raise NotFound(f"service_code：服务类型「{code[:40]}」不存在", code="open311_service_not_found")
    return {"service_code": item.code, "attributes": []}


def changeset(db: Session) -> str | None:
    """When the service list last changed: the current catalog version's time (W3C)."""
    return formats.format_w3c(catalog.current_version(db).created_at, local_tz())


# --- POST a request ---------------------------------------------------------------------------

_PHONE = re.compile(r"^\+?[0-9][0-9 \-()]{2,19}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def _number(name: str, raw: str, low: float, high: float, problems: list[str]) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name}：「{raw[:30]}」不是数字")
        return None
    if not math.isfinite(value) or not low <= value <= high:
        problems.append(f"{name}：须在 {low:g} 至 {high:g} 之间（WGS84 经纬度）")
        return None
    return value


def _validate(fields: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    for name in POST_FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        if len(value) > LIMITS[name]:
            problems.append(f"{name}：长度不能超过 {LIMITS[name]} 个字符")
        if formats.bad_characters(value):
            problems.append(f"{name}：含有不允许的控制字符")
    if problems:
        return {}, problems
    out: dict[str, Any] = {}
    if not fields.get("service_code"):
        problems.append("service_code：缺少服务类型编码（见 services.json）")
    lat, lon = fields.get("lat"), fields.get("long")
    if (lat is None) != (lon is None):
        problems.append("lat/long：纬度 lat 与经度 long 须同时提供")
    elif lat is not None:
        out["lat"] = _number("lat", lat, -90, 90, problems)
        out["lon"] = _number("long", lon, -180, 180, problems)
    if lat is None and lon is None and not fields.get("address_string") and not fields.get("address_id"):
        problems.append("location：缺少位置：请提供 lat 和 long，或 address_string，或 address_id")
    description = (fields.get("description") or "").strip()
    if len(description) < 2:
        problems.append("description：本辖区要求填写问题描述（至少 2 个字）")
    if fields.get("media_url") and not _URL.match(fields["media_url"]):
        problems.append("media_url：须为 http:// 或 https:// 开头的网址")
    if fields.get("phone") and not _PHONE.match(fields["phone"].strip()):
        problems.append("phone：电话号码格式不正确")
    if fields.get("email") and not _EMAIL.match(fields["email"].strip()):
        problems.append("email：电子邮箱格式不正确")
    return out, problems


def _reporter_name(first: str | None, last: str | None) -> str | None:
    first, last = (first or "").strip(), (last or "").strip()
    if not first and not last:
        return None
    if (first + last).isascii():
        return f"{first} {last}".strip()
    return f"{last}{first}"  # 姓在前


def _by_address_id(db: Session, address_id: str) -> tuple[float, float, str]:
    from gridgov.places.models import StandardAddress

    row = db.scalar(select(StandardAddress).where(StandardAddress.code == address_id.strip().upper()))
    if row is None or row.lon is None or row.lat is None:
        raise bad(f"address_id：标准地址库中没有编码为「{address_id[:32]}」的已定位地址")
    return row.lon, row.lat, row.text


def _by_address_string(db: Session, text: str) -> tuple[float, float]:
    from gridgov.places.matching.query import prepare
    from gridgov.places.matching.service import match_query

    result = match_query(db, prepare(text), limit=2)
    best = result["candidates"][0] if result["candidates"] else None
    if best is None or result["ambiguous"] or best["lon"] is None:
        why = (
            "匹配到多个地址，无法确定"
            if result["ambiguous"]
            else (result.get("message") or "标准地址库中没有匹配的地址")
        )
        raise bad(f"address_string：无法定位「{text[:60]}」（{why}），请改用 lat 和 long 提交")
    return best["lon"], best["lat"]


def _event_error(exc: AppError) -> AppError:
    """An error of the events service in Open311 terms (the field it concerns, the spec's status)."""
    if exc.code == "unknown_item":
        return NotFound(f"service_code：{exc.message}", code="open311_service_not_found")
    if exc.code in ("outside_grids", "location_required"):
        return bad(f"lat/long：{exc.message}（须位于本辖区网格内）")
    if exc.code == "idempotency_key_reused":
        return exc  # 409: only clients that send Idempotency-Key meet it
    if exc.status in (403, 404, 409, 413, 429):
        return exc
    return bad(exc.message)


def submit(
    db: Session, fields: dict[str, str], idempotency_key: str | None = None
) -> tuple[dict[str, Any], bool]:
    """POST Service Request: file an event. Returns ``(the spec's answer row, created)``; a repeat
    with the same ``Idempotency-Key`` (and the same content) returns the first request."""
    check_jurisdiction(fields.get("jurisdiction_id"))
    key = check_api_key(db, fields.get("api_key"))
    where, problems = _validate(fields)
    if idempotency_key is not None and not 8 <= len(idempotency_key) <= 48:
        problems.append("Idempotency-Key：长度须为 8 至 48 个字符")
    if problems:
        raise bad(*problems)
    try:
        _, item = catalog.current_item(db, fields["service_code"])
        if not item.public:  # an internal item is no service: answered exactly like an unknown code
            raise Invalid(
                f"事项编码 {fields['service_code']!r} 不在现行事项清单中",
                code="unknown_item",
                details={"item_code": fields["service_code"]},
            )
    except AppError as exc:
        raise _event_error(exc) from None
    address = fields.get("address_string") or None
    address_id = fields.get("address_id") or None
    if "lon" not in where and address_id:
        where["lon"], where["lat"], text = _by_address_id(db, address_id)
        address = address or text
    elif "lon" not in where:
        where["lon"], where["lat"] = _by_address_string(db, address)
    data = {
        "item_code": fields["service_code"].strip(),
        "description": fields["description"].strip(),
        "lon": where["lon"],
        "lat": where["lat"],
        "address": address,
        "client_id": f"k{key.id}:{idempotency_key}" if idempotency_key else None,
    }
    reporter = {
        "name": _reporter_name(fields.get("first_name"), fields.get("last_name")),
        "phone": (fields.get("phone") or "").strip() or None,
    }
    try:
        e, created = events.report(db, None, data, channel="open311", reporter=reporter)
    except AppError as exc:
        raise _event_error(exc) from None
    if created:
        db.add(
            Open311Request(
                event_id=e.id,
                api_key_id=key.id,
                media_url=fields.get("media_url") or None,
                address_id=address_id.strip().upper() if address_id else None,
            )
        )
        audit.record(
            db,
            None,
            "open311.request",
            "event",
            e.id,
            after={"api_key_id": key.id, "api_key": key.name, "service_code": e.item_code},
        )
        db.flush()
    notice = f"已登记为 {e.code}。查询码 {e.tracking_code}：凭查询码可查询办理进度，办结后可评价。"
    return {"service_request_id": e.code, "service_notice": notice, "account_id": None}, created


# --- GET requests -----------------------------------------------------------------------------


def _split(values: list[str] | None, name: str, max_items: int, max_len: int) -> list[str]:
    out = list(dict.fromkeys(p.strip() for v in values or [] for p in v.split(",") if p.strip()))
    if len(out) > max_items:
        raise bad(f"{name}：一次最多 {max_items} 个")
    if any(len(p) > max_len or formats.bad_characters(p) for p in out):
        raise bad(f"{name}：含有过长或不允许的值")
    return out


def _date(name: str, values: list[str] | None, default_tz: tzinfo) -> formats.W3CPeriod | None:
    given = [v for v in values or [] if v.strip()]
    if not given:
        return None
    if len(set(given)) > 1:
        raise bad(f"{name}：只能提供一个值")
    try:
        return formats.parse_w3c(given[0], default_tz)
    except formats.W3CError as exc:
        raise bad(f"{name}：{exc}") from None


def window(
    start: formats.W3CPeriod | None, end: formats.W3CPeriod | None, now: datetime
) -> tuple[datetime, datetime]:
    """The ``[from, to)`` of requested_datetime: at most 90 days; the most recent 90 by default."""
    lo = start.start if start else None
    hi = end.end if end else None
    if lo is None and hi is None:
        hi = now + timedelta(seconds=1)
    if lo is None:
        lo = hi - MAX_SPAN
    if hi is None:
        hi = lo + MAX_SPAN
    if lo >= hi:
        raise bad("start_date/end_date：start_date 须早于 end_date")
    if hi - lo > MAX_SPAN + timedelta(days=1):  # a whole end day may round the span up
        raise bad("start_date/end_date：查询区间不能超过 90 天")
    return lo, hi


def search(
    db: Session,
    *,
    service_request_id: list[str] | None = None,
    service_code: list[str] | None = None,
    status: list[str] | None = None,
    start_date: list[str] | None = None,
    end_date: list[str] | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """GET Service Requests with the spec's filters (ids override all the others), newest first,
    at most 1000."""
    tz = local_tz()
    ids = _split(service_request_id, "service_request_id", MAX_IDS, 24)
    stmt = _published(db)
    if ids:
        stmt = stmt.where(Event.code.in_(ids))
    else:
        codes = _split(service_code, "service_code", 100, 16)
        wanted = {s.lower() for s in _split(status, "status", 2, 10)}
        if wanted - {"open", "closed"}:
            raise bad("status：只能是 open 或 closed（可用逗号分隔）")
        lo, hi = window(_date("start_date", start_date, tz), _date("end_date", end_date, tz), now or utcnow())
        stmt = stmt.where(Event.created_at >= lo, Event.created_at < hi)
        if codes:
            stmt = stmt.where(Event.item_code.in_(codes))
        if wanted == {"open"}:
            stmt = stmt.where(Event.state.in_(sorted(OPEN)))
        elif wanted == {"closed"}:
            stmt = stmt.where(Event.state.in_(sorted(CLOSED)))
    rows = list(db.scalars(stmt.order_by(Event.created_at.desc(), Event.id.desc()).limit(MAX_RESULTS)))
    return requests_out(db, rows, tz)


def internal_codes(db: Session) -> list[str]:
    """The item codes of the current catalog that are not public (no service, never published)."""
    v = catalog.current_version(db)
    return sorted(
        db.scalars(select(CatalogItem.code).where(CatalogItem.version_id == v.id, CatalogItem.public.is_(False)))
    )


def _published(db: Session):
    """The events GET publishes: reported by the public, not a dispute, not of an internal item."""
    stmt = select(Event).where(Event.channel.in_(PUBLIC_CHANNELS), Event.is_dispute.is_(False))
    internal = internal_codes(db)
    return stmt.where(Event.item_code.not_in(internal)) if internal else stmt


def _plain(value: str, max_len: int) -> str | None:
    """``value`` stripped, or None when it cannot be a code of ours (too long, control characters)."""
    value = value.strip()
    return None if not value or len(value) > max_len or formats.bad_characters(value) else value


def one(db: Session, code: str) -> list[dict[str, Any]]:
    """GET Service Request: one public request by its id (our event code), as a one-row list."""
    e = (
        None
        if _plain(code, 24) is None
        else db.scalar(_published(db).where(Event.code == code.strip()))
    )
    if e is None:
        raise NotFound(f"service_request_id：服务请求「{code[:30]}」不存在", code="open311_request_not_found")
    return requests_out(db, [e], local_tz())


def status_of(state: str) -> str:
    return "closed" if state in CLOSED else "open"


def status_notes(state: str, note: str | None, merged_into: str | None) -> str:
    """Our finer state in words, with what was done or why it was refused where there is a note."""
    label = STATE_LABELS[State(state)]
    if state == State.merged.value:
        return f"{label}：重复上报，已并入 {merged_into} 一并办理" if merged_into else label
    return f"{label}：{note.strip()}" if note and note.strip() else label


def requests_out(db: Session, rows: list[Event], tz: tzinfo) -> list[dict[str, Any]]:
    """The spec's request rows for ``rows`` (a few batched look-ups, no per-row query)."""
    if not rows:
        return []
    ids = [e.id for e in rows]
    depts = {
        d.id: d.name
        for d in db.scalars(
            select(Department).where(
                Department.id.in_({e.lead_department_id for e in rows if e.lead_department_id})
            )
        )
    }
    extras = {
        r.event_id: r for r in db.scalars(select(Open311Request).where(Open311Request.event_id.in_(ids)))
    }
    notes: dict[int, tuple[str, str | None]] = {}
    for log in db.execute(
        select(EventLog.event_id, EventLog.action, EventLog.note)
        .where(EventLog.event_id.in_(ids), EventLog.action.in_(NOTE_ACTIONS))
        .order_by(EventLog.id)
    ):
        notes[log.event_id] = (log.action, log.note)  # the latest wins
    merged = {e.merged_into_id for e in rows if e.merged_into_id}
    merged_codes = (
        dict(db.execute(select(Event.id, Event.code).where(Event.id.in_(merged))).all()) if merged else {}
    )
    out = []
    for e in rows:
        action, note = notes.get(e.id, (None, None))
        if not (
            e.state in ("closed", "evaluated", "handled")
            and action in ("handle", "close")
            or e.state == "rejected"
            and action == "reject"
        ):
            note = None
        closed = e.state in CLOSED
        extra = extras.get(e.id)
        withheld = e.category_code in WITHHELD_CATEGORIES
        row = {
            "service_request_id": e.code,
            "status": status_of(e.state),
            "status_notes": redact(
                status_notes(e.state, None if withheld else note, merged_codes.get(e.merged_into_id))
            ),
            "service_name": catalog.item_of(db, e).name,
            "service_code": e.item_code,
            "description": redact(e.description),
            "agency_responsible": depts.get(e.lead_department_id),
            "service_notice": None,
            "requested_datetime": formats.format_w3c(e.created_at, tz),
            "updated_datetime": formats.format_w3c(
                e.closed_at if closed and e.closed_at else e.updated_at, tz
            ),
            "expected_datetime": None if closed else formats.format_w3c(e.handle_due_at, tz),
            "address": redact(e.address),
            "address_id": extra.address_id if extra else None,
            "zipcode": None,
            "lat": e.lat,
            "long": e.lon,
            "media_url": extra.media_url if extra else None,
        }
        if withheld:
            row.update(dict.fromkeys(WITHHELD_FIELDS))
        out.append(row)
    return out


def token(db: Session, token_id: str) -> list[dict[str, Any]]:
    """GET service_request_id from a token: every service is ``realtime`` and gets its id at
    once, so no token is ever issued — always the spec's 404."""
    raise NotFound(
        f"token：令牌「{token_id[:40]}」不存在（本接口的服务均为 realtime，提交即返回 service_request_id）",
        code="open311_token_not_found",
    )


def discovery(db: Session, base_url: str) -> dict[str, Any]:
    s = get_settings()
    changed = changeset(db)
    contact = getattr(s, "open311_contact", None) or "请联系本级社会治理综合服务中心（综治中心）"
    key_service = getattr(s, "open311_key_service", None) or (
        "向本级综治中心申请 api_key（管理员以 gridgov open311 key add 生成）"
    )
    return {
        "changeset": changed,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url.rstrip("/") + "/open311/v2",
                "changeset": changed,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
