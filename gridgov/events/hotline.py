"""12345 hotline work orders in: bulk import (Excel, CSV, JSON) and a webhook for single orders.

An order becomes an event of channel ``hotline`` through :func:`gridgov.events.service.report`.
The hotline's own number (工单编号) is kept as the event's ``external_id`` and is its idempotency
key (``client_id``), so the same order arriving twice — in two files, or a file and the webhook —
is one event; the same number with different content is refused (“工单编号已存在且内容不同”).

Imports run through the import pipeline (:mod:`gridgov.integration.pipeline`) as the register
imports do: every row ends up created, unchanged or quarantined with its reasons (downloadable as
an error report to fix and re-import); each row runs in a savepoint, so a bad row never
half-applies. The item (事项) is the order's item
code, else the hotline's category text (诉求类别) matched to the catalog by item name and keywords;
an order without a point is filed at the region given to the import (default: the operator's
scope root).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import User
from gridgov.access.roles import Role
from gridgov.access.scope import require_visible, scope_of
from gridgov.codes import CodeError, normalize_phone
from gridgov.errors import AppError, Forbidden, Invalid
from gridgov.events import catalog, service
from gridgov.events.duplicates import normalize_text
from gridgov.events.models import CatalogCategory, CatalogItem, Event, EventLog
from gridgov.integration import (
    CellError,
    Column,
    GoodRow,
    RawRow,
    RowSchema,
    Table,
    parse_datetime_cell,
    parse_decimal_cell,
    parse_enum_cell,
    pipeline,
    region_code_parser,
    template_xlsx,
    text_parser,
)
from gridgov.integration.models import ImportRun
from gridgov.integration.tabular import MAX_ROWS, clean_value
from gridgov.settings import get_settings

ENTITY = "hotline"
CHANNEL = "hotline"
ROLES = {Role.operator, Role.admin}
REUSED = "工单编号已存在且内容不同"
MAX_ROWS_SHOWN = 1000

URGENCY = {
    "一般": "normal",
    "普通": "normal",
    "紧急": "urgent",
    "特急": "urgent",
    "加急": "high",
    "较急": "high",
    "严重": "high",
    "轻微": "low",
    "不急": "low",
}
CRS = {
    "WGS84": "wgs84",
    "CGCS2000": "wgs84",
    "GCJ02": "gcj02",
    "GCJ-02": "gcj02",
    "BD09": "bd09",
    "BD-09": "bd09",
}


# --- cells ----------------------------------------------------------------------------------


def _meta(fn, *, text: bool = False):
    fn.text_format = text
    fn.choices = ()
    return fn


_NUMBER_RE = re.compile(r"[0-9A-Za-z][0-9A-Za-z_\-./]{0,63}")


@_meta
def parse_order_number(s: str) -> str:
    """The hotline's work order number: letters, digits and ``_-./``, at most 64 characters."""
    t = s.strip()
    if not _NUMBER_RE.fullmatch(t):
        raise CellError("应为字母、数字及 _-./ 组成的编号（最长 64 位），不能含空格或汉字")
    return t


_PHONE_CHARS = re.compile(r"[0-9+\-*() ]{3,20}")


@_meta
def parse_caller_phone(s: str) -> str:
    """A caller's number as the hotline gives it: normalised if it is a valid mobile or landline,
    else kept as given (masked or extension numbers) when it looks like a phone number."""
    try:
        return normalize_phone(s)
    except CodeError:
        pass
    if not _PHONE_CHARS.fullmatch(s) or sum(ch.isdigit() for ch in s) < 3:
        raise CellError("不是有效的电话号码")
    return s


def _coordinate(low: int, high: int, name: str):
    def parse(s: str) -> float:
        value = parse_decimal_cell(s)
        if not Decimal(low) <= value <= Decimal(high):
            raise CellError(f"{name}应在 {low} 至 {high} 之间")
        return float(value)

    return _meta(parse)


@_meta
def parse_called_at(s: str) -> datetime:
    """A date and time (``2026-11-25 09:30``; ISO 8601 with an offset is converted to local time)."""
    try:
        value = datetime.fromisoformat(s.strip())
    except ValueError:
        return parse_datetime_cell(s)
    if value.tzinfo is not None:
        value = value.astimezone(ZoneInfo(get_settings().work_timezone)).replace(tzinfo=None)
    return value


def _check(data: dict[str, Any]) -> list[str]:
    reasons = []
    if not data.get("item_code") and not data.get("category"):
        reasons.append("事项编码：事项编码和诉求类别至少填写一项")
    if (data.get("lon") is None) != (data.get("lat") is None):
        reasons.append("经度：经度和纬度须同时填写")
    if data.get("description") is not None and len(data["description"]) < 2:
        reasons.append("诉求内容：至少 2 个字")
    return reasons


SCHEMA = RowSchema(
    "12345热线工单",
    [
        Column(
            "number",
            "工单编号",
            aliases=("工单号", "热线工单号", "工单流水号"),
            required=True,
            parse=parse_order_number,
            text=True,
            example="LY20261125000123",
            help_cn="12345 热线平台的工单编号；同一编号重复导入不会重复登记",
        ),
        Column(
            "called_at",
            "来电时间",
            aliases=("受理时间", "来电日期"),
            parse=parse_called_at,
            example="2026-11-25 09:30",
        ),
        Column(
            "caller_name",
            "诉求人",
            aliases=("来电人", "来电人姓名", "诉求人姓名"),
            parse=text_parser(60),
            example="张先生",
        ),
        Column(
            "caller_phone",
            "联系电话",
            aliases=("来电号码", "诉求人电话"),
            parse=parse_caller_phone,
            text=True,
            example="13812345678",
        ),
        Column(
            "item_code",
            "事项编码",
            parse=text_parser(16),
            text=True,
            example="CG012",
            help_cn="事项清单中的事项编码；不填时按“诉求类别”匹配事项",
        ),
        Column(
            "category",
            "诉求类别",
            aliases=("诉求分类", "工单类别", "问题类别"),
            parse=text_parser(100),
            example="城市管理-井盖缺失破损",
            help_cn="无事项编码时按事项名称和关键词匹配；匹配不到的工单进入错误报告",
        ),
        Column(
            "description",
            "诉求内容",
            aliases=("工单内容", "问题描述"),
            required=True,
            parse=text_parser(4000),
            example="人民路12号门前井盖缺失，夜间行人易跌落",
        ),
        Column(
            "address",
            "地址",
            aliases=("事发地址", "诉求地址", "事发地点"),
            parse=text_parser(200),
            example="人民路12号",
        ),
        Column("lon", "经度", parse=_coordinate(-180, 180, "经度"), example="123.0412"),
        Column("lat", "纬度", parse=_coordinate(-90, 90, "纬度"), example="41.2705"),
        Column(
            "crs",
            "坐标系",
            parse=parse_enum_cell(CRS),
            help_cn="WGS84（默认）/GCJ02（高德、腾讯）/BD09（百度）",
        ),
        Column(
            "urgency",
            "紧急程度",
            parse=parse_enum_cell(URGENCY),
            example="一般",
            help_cn="一般/紧急/特急/加急/轻微；不填按事项默认等级",
        ),
        Column(
            "region_code",
            "所属区划代码",
            aliases=("区划代码",),
            parse=region_code_parser("county", "street", "community", "grid", "micro_grid"),
            help_cn="无经纬度时事件登记到的区划；不填则用导入时选择的区划（默认为您管辖的县区）",
        ),
    ],
    unique=["number"],
    checks=[_check],
)

#: English keys of the JSON forms (bulk JSON and the webhook) → column keys
JSON_KEYS = {c.key: c for c in SCHEMA.columns}
_COLUMN_OF_CODE = {
    "unknown_item": "item_code",
    "item_unmatched": "category",
    "outside_grids": "lon",
    "location_required": "lon",
    "idempotency_key_reused": "number",
    "out_of_scope": "region_code",
    "region_not_found": "region_code",
    "invalid_region_code": "region_code",
}


def template() -> bytes:
    return template_xlsx(SCHEMA)


# --- reading --------------------------------------------------------------------------------


def _json_cell(value: Any) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None, "应为文本或数字"
    return clean_value(str(value)), None


def table_from_orders(orders: Sequence[Any], fmt: str = "json") -> Table:
    """A table of JSON orders (English keys), so they pass the same checks as a file's rows."""
    if len(orders) > MAX_ROWS:
        raise Invalid(f"工单数超过上限 {MAX_ROWS} 条，请拆分后导入", code="too_many_rows", status=413)
    headers = [c.header_cn for c in SCHEMA.columns]
    rows, unknown = [], set()
    for number, order in enumerate(orders, start=1):
        values: dict[str, str | None] = dict.fromkeys(headers)
        problems: dict[str, str] = {}
        if not isinstance(order, dict):
            problems[""] = '不是 JSON 对象（应为 {"number": ..., "description": ...}）'
        else:
            for key, value in order.items():
                column = JSON_KEYS.get(key)
                if column is None:
                    unknown.add(str(key))
                    continue
                values[column.header_cn], problem = _json_cell(value)
                if problem:
                    problems[column.header_cn] = problem
        rows.append(RawRow(number, values, [], problems))
    warnings = [f"未识别的字段（已忽略）：{'、'.join(sorted(unknown))}"] if unknown else []
    return Table(headers=headers, rows=rows, format=fmt, warnings=warnings)


def _is_json(data: bytes, filename: str) -> bool:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return filename.lower().endswith(".json") or head.startswith((b"[", b"{"))


def read_upload(data: bytes, filename: str) -> Table:
    """An uploaded ``.xlsx``/CSV (UTF-8 or GBK) or JSON file (an array of orders, or ``{"orders": [...]}``)."""
    if not _is_json(data, filename):
        return SCHEMA.read(data, filename)
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"文件不是有效的 JSON（UTF-8）：{exc}", code="invalid_json") from None
    if isinstance(parsed, dict) and isinstance(parsed.get("orders"), list):
        parsed = parsed["orders"]
    if not isinstance(parsed, list):
        raise Invalid('JSON 文件应为工单数组，或 {"orders": [...]}', code="invalid_json")
    if not parsed:
        raise Invalid("文件中没有工单", code="empty_file")
    return table_from_orders(parsed)


# --- the catalog, by name and keywords ------------------------------------------------------

_SPLIT = re.compile(r"[-－—/／>＞|｜\\、，,;；:：\s]+")
#: category parts and keywords that say nothing about the item
GENERIC = frozenset({"其他", "其它", "综合", "其他问题", "其他事项", "无法归类"})


def _words(keywords: str | None) -> list[str]:
    words = (normalize_text(k) for k in re.split(r"[、,，;；]", keywords or ""))
    return [w for w in words if len(w) >= 2 and w not in GENERIC]


def match_item(text: str, items: Sequence[tuple[str, str, str | None]]) -> tuple[str | None, list[str]]:
    """The catalog item a hotline category text names: ``(code, [])`` when one item fits, else
    ``(None, [codes of the tied candidates])``. ``items`` are ``(code, name, keywords)``; keywords
    are separated by 、 or commas. Pure.

    Tried in order, and only an unambiguous answer is taken (a wrong item is worse than a
    quarantined row): an item's exact name or exact keyword in any part of the text
    (``城市管理-井盖缺失破损``, the finest part first); the longest item name contained in the
    text; the item with the most keywords contained in the text, counting only when that is two
    keywords or one of at least three characters. Generic words (其他, 综合) never match.
    """
    whole = normalize_text(text)
    if not whole or whole in GENERIC:
        return None, []
    parts = [normalize_text(p) for p in reversed(_SPLIT.split(text))]
    parts = [p for p in dict.fromkeys([*parts, whole]) if p and p not in GENERIC]
    names = [(code, normalize_text(name)) for code, name, _ in items]
    words = [(code, _words(kw)) for code, _, kw in items]
    for part in parts:
        exact = sorted({code for code, name in names if name == part})
        if len(exact) == 1:
            return exact[0], []
        by_word = sorted({code for code, ws in words if part in ws})
        if len(by_word) == 1:
            return by_word[0], []
    contained = [(len(name), code) for code, name in names if len(name) >= 2 and name in whole]
    if contained:
        best = max(n for n, _ in contained)
        top = sorted({code for n, code in contained if n == best})
        return (top[0], []) if len(top) == 1 else (None, top)
    hits = [([w for w in ws if w in whole], code) for code, ws in words]
    hits = [(len(found), code) for found, code in hits if len(found) >= 2 or any(len(w) >= 3 for w in found)]
    if not hits:
        return None, []
    best = max(n for n, _ in hits)
    top = sorted(code for n, code in hits if n == best)
    return (top[0], []) if len(top) == 1 else (None, top)


_ITEMS: dict[tuple[str, int], list[tuple[str, str, str | None]]] = {}
_CATEGORIES: dict[tuple[str, int], set[str]] = {}


def _catalog(db: Session) -> tuple[list[tuple[str, str, str | None]], set[str]]:
    """The current catalog's ``(code, name, keywords)`` and category names (cached per database and version)."""
    version = catalog.current_version(db)
    key = (str(db.get_bind().url), version.id)
    if key not in _ITEMS:
        _ITEMS[key] = [
            tuple(r)
            for r in db.execute(  # type: ignore[misc]
                select(CatalogItem.code, CatalogItem.name, CatalogItem.keywords)
                .where(CatalogItem.version_id == version.id)
                .order_by(CatalogItem.code)
            )
        ]
        _CATEGORIES[key] = {
            normalize_text(n)
            for n in db.scalars(select(CatalogCategory.name).where(CatalogCategory.version_id == version.id))
        }
    return _ITEMS[key], _CATEGORIES[key]


def resolve_item(db: Session, data: dict[str, Any]) -> str:
    """The item code of an order: its own code, else its category text matched to the catalog."""
    if data.get("item_code"):
        return catalog.current_item(db, data["item_code"])[1].code  # unknown_item → 422
    text = data["category"]
    items, categories = _catalog(db)
    code, tied = match_item(text, items)
    if code is not None:
        return code
    if tied:
        names = dict((c, n) for c, n, _ in items)
        options = "、".join(f"{c} {names[c]}" for c in tied[:5])
        raise Invalid(
            f"诉求类别“{text}”可能对应多个事项（{options}），请填写事项编码",
            code="item_unmatched",
            details={"candidates": tied},
        )
    if normalize_text(text) in categories:
        raise Invalid(f"诉求类别“{text}”只对应到类别，请填写具体的事项编码", code="item_unmatched")
    raise Invalid(f"诉求类别“{text}”无法对应到事项清单中的事项，请填写事项编码", code="item_unmatched")


# --- one order ------------------------------------------------------------------------------


def _require_role(actor: User | None) -> User:
    if actor is None or Role(actor.role) not in ROLES:
        raise Forbidden("只有中心坐席或系统管理员可以登记 12345 热线工单", code="permission_denied")
    return actor


def default_region(db: Session, actor: User, region_code: str | None = None) -> str | None:
    """Where orders without a point are filed: ``region_code`` if given (it must exist and lie in
    the actor's scope), else the actor's only scope root (an admin: the only top-level region)."""
    from gridgov.regions import service as regions

    if region_code:
        regions.current(db, region_code)
        require_visible(actor, region_code=region_code, what=f"区划 {region_code}")
        return region_code
    scope = scope_of(actor)
    if not scope.everything:
        return scope.regions[0] if len(scope.regions) == 1 else None
    roots = regions.roots(db, actor)
    # an admin of a one-county deployment: down a lone province/city to its lone county
    while len(roots) == 1 and roots[0]["level"] in ("province", "city"):
        below = regions.children(db, actor, roots[0]["code"])
        if len(below) != 1:
            break
        roots = below
    return roots[0]["code"] if len(roots) == 1 else None


def _note(data: dict[str, Any]) -> str:
    parts = [f"12345热线工单 {data['number']}"]
    if data.get("called_at"):
        parts.append(f"来电时间 {data['called_at']:%Y-%m-%d %H:%M}")
    if data.get("urgency"):
        parts.append(f"紧急程度 {catalog.SEVERITIES.get(data['urgency'], data['urgency'])}")
    return "；".join(parts)


def _first_note(db: Session, e: Event) -> str | None:
    return db.scalar(
        select(EventLog.note)
        .where(EventLog.event_id == e.id, EventLog.action == "report")
        .order_by(EventLog.id)
        .limit(1)
    )


def write_order(db: Session, actor: User, data: dict[str, Any], region: str | None) -> tuple[Event, bool]:
    """File one validated order (``data`` as parsed by :data:`SCHEMA`). Raises AppError for a bad
    order; the caller runs it in a savepoint or a request transaction, so nothing half-applies."""
    from gridgov.regions import service as regions

    body: dict[str, Any] = {
        "client_id": data["number"],
        "external_id": data["number"],
        "item_code": resolve_item(db, data),
        "description": data["description"],
        "address": data.get("address"),
        "severity": data.get("urgency"),
        "note": _note(data),
    }
    if data.get("lon") is not None and data.get("lat") is not None:
        body.update(lon=float(data["lon"]), lat=float(data["lat"]), crs=data.get("crs") or "wgs84")
    else:
        where = data.get("region_code") or region
        if not where:
            raise Invalid(
                "无经纬度的工单须有所属区划：请填写“所属区划代码”，或导入时选择区划", code="location_required"
            )
        regions.current(db, where)
        body["region_code"] = where
    reporter = {"name": data.get("caller_name"), "phone": data.get("caller_phone")}
    try:
        e, created = service.report(db, actor, body, channel=CHANNEL, reporter=reporter)
    except AppError as exc:
        if exc.code == "idempotency_key_reused":
            raise Invalid(
                f"{REUSED}（已登记为事件 {(exc.details or {}).get('event_code', '')}）",
                code="idempotency_key_reused",
                status=409,
                details=exc.details,
            ) from None
        raise
    if not created and (
        _first_note(db, e) != body["note"]
        or (reporter["name"] and e.reporter_name != reporter["name"])
        or e.reporter_phone != reporter["phone"]
    ):
        raise Invalid(
            f"{REUSED}（已登记为事件 {e.code}）",
            code="idempotency_key_reused",
            status=409,
            details={"event_code": e.code},
        )
    require_visible(actor, region_code=e.region_code, what="工单所在位置")
    return e, created


def receive_order(
    db: Session, actor: User | None, order: dict[str, Any], idempotency_key: str | None = None
) -> tuple[Event, bool]:
    """The webhook: one order (English keys). ``(event, created)``; a replay returns the first event;
    a bad order raises a 4xx with every reason (nothing is written)."""
    actor = _require_role(actor)
    number = order.get("number")
    if idempotency_key is not None and idempotency_key.strip() != number:
        raise Invalid(
            "Idempotency-Key 须与工单编号（number）一致",
            code="idempotency_key_mismatch",
            details={"idempotency_key": idempotency_key, "number": number},
        )
    result = SCHEMA.validate(table_from_orders([order]))
    if result.bad:
        raise Invalid(
            "工单有误：" + result.bad[0].reason_text,
            code="invalid_order",
            details={"reasons": result.bad[0].reasons},
        )
    data = result.good[0].data
    region = None if data.get("region_code") or data.get("lon") is not None else default_region(db, actor)
    e, created = write_order(db, actor, data, region)
    if created:
        audit.record(
            db, actor, "hotline.order", "event", e.id, detail={"number": data["number"], "via": "webhook"}
        )
    return e, created


# --- imports --------------------------------------------------------------------------------

#: what filing an order can come to (an order is never updated: a changed order is quarantined)
OUTCOMES = ("created", "unchanged")


def load(
    db: Session,
    actor: User | None,
    table: Table,
    *,
    filename: str,
    file_digest: str,
    region_code: str | None = None,
) -> tuple[ImportRun, list[dict[str, Any]]]:
    """Validate and file every row of ``table``; returns the run and, per filed row (at most
    :data:`MAX_ROWS_SHOWN`), ``{row, number, event_code, status}``."""
    actor = _require_role(actor)
    region = default_region(db, actor, region_code)
    filed: list[dict[str, Any]] = []

    def write(row: GoodRow) -> str:
        e, created = write_order(db, actor, row.data, region)
        status = "created" if created else "unchanged"
        if len(filed) < MAX_ROWS_SHOWN:
            filed.append(
                {"row": row.number, "number": row.data["number"], "event_code": e.code, "status": status}
            )
        return status

    run = pipeline.import_rows(
        db,
        actor,
        entity=ENTITY,
        schema=SCHEMA,
        table=table,
        write=write,
        filename=filename,
        file_digest=file_digest,
        audit_action="hotline.import",
        audit_detail={"region": region},
        outcomes=OUTCOMES,
        analyze_tables=("events", "event_logs"),
        column_of_code=_COLUMN_OF_CODE,
    )
    return run, filed


def import_file(
    db: Session, actor: User | None, data: bytes, filename: str, region_code: str | None = None
) -> tuple[ImportRun, list[dict[str, Any]]]:
    """An uploaded ``.xlsx``, CSV or JSON file of orders (a TableError is a 4xx for the whole file)."""
    _require_role(actor)
    table = read_upload(data, filename)
    return load(
        db,
        actor,
        table,
        filename=filename,
        file_digest=hashlib.sha256(data).hexdigest(),
        region_code=region_code,
    )


def import_orders(
    db: Session, actor: User | None, orders: list[Any], region_code: str | None = None
) -> tuple[ImportRun, list[dict[str, Any]]]:
    """A JSON array of orders posted in the request body."""
    _require_role(actor)
    if not orders:
        raise Invalid("工单数组为空", code="empty_file")
    text = json.dumps(orders, ensure_ascii=False, sort_keys=True, default=str)
    return load(
        db,
        actor,
        table_from_orders(orders),
        filename="orders.json",
        file_digest=hashlib.sha256(text.encode()).hexdigest(),
        region_code=region_code,
    )


def run_out(db: Session, run: ImportRun, filed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    out = pipeline.run_out(
        db, run, error_report="/api/v1/hotline/imports/{id}/errors.xlsx", outcomes=OUTCOMES
    )
    if filed is not None:
        out["orders"] = filed
    return out


def get_run(db: Session, actor: User, run_id: int) -> ImportRun:
    _require_role(actor)
    return pipeline.find_run(db, actor, run_id, (ENTITY,))


def error_report(db: Session, actor: User, run_id: int) -> bytes:
    return pipeline.error_report(db, get_run(db, actor, run_id), SCHEMA)
