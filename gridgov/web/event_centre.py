"""The event centre (事件中心): queues with live counts, filters and search, bulk actions, the event's
detail with its action panel, centre entry of a new event, the inbox and 一键通 notices.

Server-rendered (Jinja + htmx). Every read and write goes through the events services, which decide
visibility and who may take which step; these views only parse forms and pick fragments:

* ``GET /events`` — the list page; an htmx request from the filter form gets only the results
  fragment (table + pager), ``hx-push-url`` keeps the address bar in step.
* ``POST /events/bulk`` — accept / dispatch / urge several events; every event's outcome (done, or
  the refusal: 409 stale, 409 wrong state, 403 not your step) is listed, never a 500.
* ``GET /events/{ref}`` — the detail; ``POST /events/{ref}/actions/{action}`` calls
  :func:`gridgov.events.service.act` with the version the user saw and answers with out-of-band
  fragments (head, action panel, assignments, timeline); a refusal is a 4xx fragment shown in place.
* ``GET/POST /events/new`` — the centre's entry form (channel ``centre`` or ``hotline``).
* ``/inbox`` — notifications, notices received (read, reply), and for the centre: send a notice,
  see its receipts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from gridgov.access.deps import Db
from gridgov.access.models import User
from gridgov.access.roles import Role
from gridgov.access.service import list_departments
from gridgov.errors import AppError, Conflict, Invalid
from gridgov.events import attachments, catalog, duplicates_service, inbox, notices, queues, service
from gridgov.events.metrics_service import review_department, reviews_of
from gridgov.events.workflow import ACTION_LABELS, FINAL, STATE_LABELS, Action, State
from gridgov.regions.models import Region
from gridgov.settings import get_settings
from gridgov.web.i18n import t
from gridgov.web.localtime import local_midnight, local_time
from gridgov.web.pages import STAFF, PageUser, has_role, is_htmx, render, require
from gridgov.web.views import PAGE_HEADERS, templates

router = APIRouter(include_in_schema=False)

EventRef = Annotated[str, Path(pattern=r"^(\d{1,10}|SJ\d{8,20})$")]
PAGE_SIZE = 30
#: an open event whose deadline is this close is marked "due soon" (even before the clock's warning)
DUE_SOON = timedelta(hours=4)
#: the queues each role sees as tabs, in order (the first is the default)
ROLE_QUEUES: dict[str, tuple[str, ...]] = {
    Role.operator.value: ("to_accept", "to_dispatch", "to_sign", "in_progress", "to_verify", "due_soon",
                          "overdue", "closed", "mine"),
    Role.admin.value: ("to_accept", "to_dispatch", "to_sign", "in_progress", "to_verify", "due_soon",
                       "overdue", "closed", "mine"),
    Role.handler.value: ("to_sign", "in_progress", "due_soon", "overdue", "closed"),
    Role.grid_worker.value: ("to_verify", "mine", "in_progress", "overdue", "closed"),
    Role.leader.value: ("overdue", "due_soon", "to_accept", "to_dispatch", "in_progress", "to_verify", "closed"),
}
HOT_QUEUES = {"to_accept", "to_dispatch", "to_sign", "to_verify", "overdue"}
BULK_ACTIONS = ("accept", "dispatch", "urge")
SEVERITIES = ("low", "normal", "high", "urgent")
CENTRE_CHANNELS = ("centre", "hotline")
#: the actions whose forms the detail page knows how to draw (all of the workflow's but intake)
FORM_ACTIONS = {a.value for a in Action} - {"report", "self_resolve"}
EXTENSION_HOURS = (4, 7, 14, 21, 35, 70)  # a working day has 7 hours (settings.work_hours)


# --- helpers --------------------------------------------------------------------------------

def _span(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    if minutes >= 48 * 60:
        return t("events.span_days", n=minutes // (24 * 60))
    if minutes >= 60:
        return t("events.span_hours", n=minutes // 60)
    return t("events.span_minutes", n=max(minutes, 1))


def due_info(e: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """How the event stands against its step's deadline: ``kind`` overdue / soon / ok / none."""
    now = now or datetime.now(UTC)
    due = e.get("due_at")
    if e.get("state") in {s.value for s in FINAL} or due is None:
        return {"kind": "none", "text": "", "at": "", "short": ""}
    if due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    if e.get("overdue") or due <= now:
        kind, text = "overdue", t("events.overdue_by", span=_span(now - due))
    elif e.get("warned") or due - now <= DUE_SOON:
        kind, text = "soon", t("events.due_in", span=_span(due - now))
    else:
        kind, text = "ok", t("events.due_in", span=_span(due - now))
    return {"kind": kind, "text": text, "at": local_time(due), "short": local_time(due, "%m-%d %H:%M")}


templates.env.globals.update(events_due=due_info)


def _staff(user: User) -> None:
    require(has_role(user, *STAFF))


def _is_centre(user: User) -> bool:
    return user.role in (Role.operator.value, Role.admin.value)


def _region_names(db: Db, codes: set[str]) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    rows = db.execute(select(Region.code, Region.name).where(Region.code.in_(codes), Region.valid_to.is_(None)))
    return dict(rows.all())


def _departments(db: Db) -> list[dict[str, Any]]:
    return [{"id": d.id, "name": d.name} for d in list_departments(db) if not d.is_centre]


def _item_names(db: Db) -> dict[str, str]:
    version = catalog.current_version(db)
    return {code: info.name for code, info in catalog._items_of(db, version.id).items()}


_CATALOGS: dict[int, list[dict[str, Any]]] = {}


def _catalog(db: Db) -> list[dict[str, Any]]:
    """Categories → items of the current catalog, for pickers (cached per version: versions never change)."""
    version = catalog.current_version(db)
    cached = _CATALOGS.get(version.id)
    if cached is None:
        cached = _CATALOGS[version.id] = [
            {"code": c["code"], "name": c["name"],
             "items": [{"code": i["code"], "name": i["name"], "severity": i["severity"]} for i in c["items"]]}
            for c in catalog.catalog_out(db, version)["categories"]]
    return cached


def _fragment(request: Request, template: str, status_code: int = 200, headers: dict[str, str] | None = None,
              **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, context, status_code=status_code,
                                      headers={**PAGE_HEADERS, **(headers or {})})


def _error_fragment(request: Request, exc: AppError, *, refresh: bool = False) -> HTMLResponse:
    return _fragment(request, "events/_error.html", status_code=exc.status, status=exc.status, message=exc.message,
                     code=exc.code, refresh=refresh)


# --- the list -------------------------------------------------------------------------------

def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid(t("events.bad_date", field=name, value=value), code="invalid_date") from None


def _day_start(d: date) -> datetime:
    return local_midnight(d)


@router.get("/events", response_class=HTMLResponse)
def events_page(
    request: Request, db: Db, user: PageUser,
    queue: Annotated[str | None, Query(max_length=20)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    category: Annotated[str | None, Query(max_length=16, pattern=r"^[A-Z0-9]*$")] = None,
    item: Annotated[str | None, Query(max_length=16, pattern=r"^[A-Z0-9]*$")] = None,
    severity: Annotated[str | None, Query(max_length=10)] = None,
    channel: Annotated[str | None, Query(max_length=12)] = None,
    region: Annotated[str | None, Query(max_length=17, pattern=r"^\d{0,17}$")] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    q: Annotated[str | None, Query(max_length=60)] = None,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> Response:
    _staff(user)
    tabs = ROLE_QUEUES.get(user.role, ())
    if queue is None:
        queue = tabs[0] if tabs else "all"
    if queue != "all" and queue not in queues.QUEUES:
        raise Invalid(t("events.bad_queue", value=queue), code="unknown_queue")
    if severity and severity not in SEVERITIES:
        raise Invalid(t("events.bad_severity", value=severity), code="invalid_severity")
    if channel and channel not in service.CHANNELS:
        raise Invalid(t("events.bad_channel", value=channel), code="unknown_channel")
    since_d, until_d = _day(since, t("events.f_since")), _day(until, t("events.f_until"))
    if since_d and until_d and until_d < since_d:
        raise Invalid(t("events.bad_range"), code="invalid_range")
    filters = {"queue": queue, "state": state or "", "category": category or "", "item": item or "",
               "severity": severity or "", "channel": channel or "", "region": region or "",
               "since": since or "", "until": until or "", "q": (q or "").strip()}
    # Newest first over a broad scope: with an upper bound on the id, SQLite walks the id order and
    # stops after one page (~10 ms on the county demo) instead of sorting every visible event (the
    # scope's OR otherwise picks two indexes and a temporary sort: 100-1,000 ms). Narrow scopes and the
    # state queues do better on their own indexes, so they get no bound.
    first_page_bound = 2**31 - 1 if before is None and queue == "all" and user.role != Role.grid_worker.value \
        else None
    result = queues.search(
        db, user, queue=None if queue == "all" else queue, state=state or None, item_code=item or None,
        category_code=category or None, channel=channel or None, region=region or None, q=filters["q"] or None,
        since=_day_start(since_d) if since_d else None,
        until=_day_start(until_d + timedelta(days=1)) if until_d else None,
        before_id=before or first_page_bound, limit=PAGE_SIZE, severity=severity or None)
    rows = result["items"]
    names = _region_names(db, {r["grid_code"] or r["region_code"] for r in rows})
    query = {k: v for k, v in filters.items() if v}
    ctx: dict[str, Any] = {
        "rows": rows, "names": names, "filters": filters, "before": before, "items": _item_names(db),
        "next_url": "/events?" + urlencode({**query, "before": result["next_before_id"]})
        if result["next_before_id"] else None,
        "first_url": "/events?" + urlencode(query) if before else None,
        "bulk": _is_centre(user), "now": datetime.now(UTC),
        "bulk_actions": [(a, ACTION_LABELS[Action(a)]) for a in BULK_ACTIONS],
    }
    if is_htmx(request) and request.headers.get("hx-target") == "event-results" \
            and not request.headers.get("hx-history-restore-request"):
        return _fragment(request, "events/_results.html", user=user, **ctx)
    unread = inbox.list_inbox(db, user, unread_only=True, limit=1)["unread"]
    # the queues' counts come in a second request (/events/counts), so the table is not kept waiting
    return render(request, user, "events/list.html", nav="events", **ctx,
                  tabs=_tabs(tabs, None, filters), counts_url="/events/counts?" + urlencode(query), unread=unread,
                  catalog=_catalog(db), departments=_departments(db) if _is_centre(user) else [],
                  states=[(s.value, STATE_LABELS[s]) for s in State], channels=service.CHANNELS,
                  severities=[(s, catalog.SEVERITIES.get(s, s)) for s in SEVERITIES])


@router.get("/events/counts", response_class=HTMLResponse)
def events_counts(request: Request, db: Db, user: PageUser,
                  queue: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    """The queue tabs with their counts (loaded by the list page after it has shown the table)."""
    _staff(user)
    keep = {k: v for k, v in request.query_params.items() if k in FILTER_KEYS and v and len(v) <= 60}
    names = ROLE_QUEUES.get(user.role, ())
    return _fragment(request, "events/_tabs.html",
                     tabs=_tabs(names, queues.counts(db, user), {**keep, "queue": queue or (names[0] if names else "all")}))


FILTER_KEYS = ("state", "category", "item", "severity", "channel", "region", "since", "until", "q")


def _tabs(names: tuple[str, ...], counts: dict[str, int] | None,
          filters: dict[str, str]) -> list[dict[str, Any]]:
    keep = {k: v for k, v in filters.items() if v and k in FILTER_KEYS}
    out = [{"key": "all", "label": t("events.queue_all"), "count": None, "hot": False,
            "url": "/events?" + urlencode({**keep, "queue": "all"}), "active": filters["queue"] == "all"}]
    for name in names:
        count = counts.get(name, 0) if counts is not None else None
        shown = f"{queues.COUNT_CAP - 1}+" if count is not None and count >= queues.COUNT_CAP else count
        out.append({"key": name, "label": queues.QUEUES[name], "count": count, "shown": shown,
                    "hot": name in HOT_QUEUES and bool(count),
                    "url": "/events?" + urlencode({**keep, "queue": name}), "active": filters["queue"] == name})
    return out


# --- bulk actions ---------------------------------------------------------------------------

@router.post("/events/bulk", response_class=HTMLResponse)
async def bulk_action(request: Request, db: Db, user: PageUser) -> Response:
    form = await request.form()
    return await run_in_threadpool(_bulk, request, db, user, form)


def _bulk(request: Request, db: Db, user: User, form: FormData) -> Response:
    _staff(user)
    require(_is_centre(user))
    action = str(form.get("bulk_action") or "")
    if action not in BULK_ACTIONS:
        raise Invalid(t("events.bulk_pick_action"), code="bulk_action_required")
    picked: list[tuple[str, int | None]] = []
    for raw in form.getlist("ids"):
        ref, _, version = str(raw).partition(":")
        if not ref.isdigit() or (version and not version.isdigit()):
            raise Invalid(t("events.bulk_bad_ids"), code="invalid_ids")
        picked.append((ref, int(version) if version else None))
    if not picked:
        raise Invalid(t("events.bulk_pick_rows"), code="no_rows")
    if len(picked) > 100:
        raise Invalid(t("events.bulk_too_many"), code="too_many")
    payload: dict[str, Any] = {"note": (str(form.get("note") or "").strip() or None)}
    if action == "dispatch":
        dept = str(form.get("department_id") or "")
        if not dept.isdigit():
            raise Invalid(t("events.pick_department"), code="department_required")
        payload["department_id"] = int(dept)
    results = []
    for ref, version in picked:
        try:
            with db.begin_nested():
                e = service.act(db, user, int(ref), action, dict(payload), expected_version=version)
                results.append({"ok": True, "code": e.code, "id": e.id, "state": e.state,
                                "state_label": STATE_LABELS[State(e.state)],
                                "message": t("events.bulk_done", action=ACTION_LABELS[Action(action)])})
        except AppError as exc:
            results.append({"ok": False, "code": ref, "id": int(ref), "status": exc.status, "message": exc.message})
    done = sum(1 for r in results if r["ok"])
    counts = queues.counts(db, user)
    return _fragment(request, "events/_bulk_result.html", results=results, done=done, failed=len(results) - done,
                     action_label=ACTION_LABELS[Action(action)],
                     tabs=_tabs(ROLE_QUEUES.get(user.role, ()), counts,
                                {"queue": str(form.get("queue") or "")}),
                     headers={"HX-Trigger": "events-changed"})


# --- new event (centre entry) ---------------------------------------------------------------

@router.get("/events/new", response_class=HTMLResponse)
def new_event_page(request: Request, db: Db, user: PageUser) -> Response:
    require(_is_centre(user), t("events.new_centre_only"))
    from gridgov.access.scope import scope_of

    scope = scope_of(user)
    return render(request, user, "events/new.html", nav="events", catalog=_catalog(db),
                  severities=[(s, catalog.SEVERITIES.get(s, s)) for s in SEVERITIES],
                  default_region=(sorted(scope.regions)[0] if scope.regions else ""),
                  channels=[(c, service.CHANNELS[c]) for c in CENTRE_CHANNELS])


def _float(value: Any, name: str, low: float, high: float) -> float | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        out = float(text)
    except ValueError:
        raise Invalid(t("events.bad_number", field=name), code="invalid_number") from None
    if not low <= out <= high:
        raise Invalid(t("events.bad_number", field=name), code="invalid_number")
    return out


@router.post("/events/new", response_class=HTMLResponse)
async def new_event_submit(request: Request, db: Db, user: PageUser) -> Response:
    form = await request.form()
    return await run_in_threadpool(_new_event, request, db, user, form)


def _new_event(request: Request, db: Db, user: User, form: FormData) -> Response:
    require(_is_centre(user), t("events.new_centre_only"))
    text = {k: str(form.get(k) or "").strip() for k in ("item_code", "description", "address", "region_code",
                                                         "severity", "reporter_name", "reporter_phone",
                                                         "channel", "title", "external_id", "client_id")}
    try:
        if not text["item_code"]:
            raise Invalid(t("events.need_item"), code="item_required")
        if len(text["description"]) < 2:
            raise Invalid(t("events.need_description"), code="description_required")
        if text["severity"] and text["severity"] not in SEVERITIES:
            raise Invalid(t("events.bad_severity", value=text["severity"]), code="invalid_severity")
        channel = text["channel"] or "centre"
        if channel not in CENTRE_CHANNELS:
            raise Invalid(t("events.bad_channel", value=channel), code="unknown_channel")
        if text["reporter_phone"] and not (text["reporter_phone"].isdigit() and 7 <= len(text["reporter_phone"]) <= 12):
            raise Invalid(t("events.bad_phone"), code="invalid_phone")
        if text["region_code"] and not (text["region_code"].isdigit() and 6 <= len(text["region_code"]) <= 17):
            raise Invalid(t("events.bad_region"), code="invalid_region_code")
        lon = _float(form.get("lon"), t("events.f_lon"), -180, 180)
        lat = _float(form.get("lat"), t("events.f_lat"), -90, 90)
        data: dict[str, Any] = {
            "item_code": text["item_code"], "description": text["description"][:4000],
            "address": text["address"][:200] or None, "severity": text["severity"] or None,
            "title": text["title"][:120] or None, "external_id": text["external_id"][:64] or None,
            "client_id": text["client_id"][:64] or None,
        }
        if lon is not None and lat is not None:
            data.update(lon=lon, lat=lat)
        else:
            data["region_code"] = text["region_code"] or None
        if data.get("region_code"):
            from gridgov.access.scope import require_visible

            require_visible(user, region_code=data["region_code"], what=t("events.f_region"))
        with db.begin_nested():
            e, _created = service.report(db, user, data, channel=channel,
                                         reporter={"name": text["reporter_name"][:60] or None,
                                                   "phone": text["reporter_phone"] or None})
    except AppError as exc:
        if not is_htmx(request):
            raise
        return _error_fragment(request, exc)
    target = f"/events/{e.code}"
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target, **PAGE_HEADERS})
    return RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})


# --- the detail -----------------------------------------------------------------------------

def _detail_context(db: Db, user: User, ref: str) -> dict[str, Any]:
    d = service.detail(db, user, ref)
    actions = [a for a in d.get("actions", []) if a["action"] in FORM_ACTIONS
               and (d.get("extension_pending_hours") or a["action"] not in ("approve_extension", "deny_extension"))
               and not (d.get("extension_pending_hours") and a["action"] == "request_extension")]
    names = {a["action"] for a in actions}
    ctx: dict[str, Any] = {
        "e": d, "actions": actions, "timeline": list(reversed(d["timeline"])),
        "assignments": d["assignments"], "due": due_info(d),
        "state_labels": {s.value: STATE_LABELS[s] for s in State},
        "departments": _departments(db) if names & {"dispatch", "whistle"} else [],
        "catalog": _catalog(db) if "accept" in names else [],
        "severities": [(s, catalog.SEVERITIES.get(s, s)) for s in SEVERITIES],
        "ratings": service.RATINGS, "extension_hours": EXTENSION_HOURS,
        "review_allowed": d["state"] in ("closed", "evaluated") and d.get("dispatched_at") is not None
        and d.get("lead_department_id") is not None and user.role in (
            Role.operator.value, Role.admin.value, Role.grid_worker.value),
    }
    files = attachments.of_event(db, d["id"])
    ctx["photos"] = [f for f in files if f.content_type.startswith("image/")]
    ctx["documents"] = [f for f in files if not f.content_type.startswith("image/")]
    return ctx


@router.get("/events/{ref}", response_class=HTMLResponse)
def event_page(request: Request, ref: EventRef, db: Db, user: PageUser) -> Response:
    _staff(user)
    ctx = _detail_context(db, user, ref)
    d = ctx["e"]
    names = _region_names(db, {d["grid_code"], d["region_code"]})
    reviews = reviews_of(db, user, d["id"]) if d["state"] in ("closed", "evaluated") else []
    item_name = _item_names(db).get(d["item_code"], d["item_code"])
    map_data = {"lon": d["lon"], "lat": d["lat"], "grid_code": d["grid_code"], "code": d["code"]}
    return render(request, user, "events/detail.html", nav="events", **ctx, names=names, item_name=item_name,
                  reviews=reviews, map_data=map_data,
                  reviewed=any(r["reviewer_user_id"] == user.id for r in reviews),
                  category_name=next((c["name"] for c in _catalog(db) if c["code"] == d["category_code"]),
                                     d["category_code"]))


def _int(value: Any, name: str) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 10:
        raise Invalid(t("events.bad_number", field=name), code="invalid_number")
    return int(text)


def _payload(db: Db, user: User, action: str, form: FormData,
             photo: tuple[str, bytes] | None) -> tuple[dict[str, Any], int | None]:
    version = _int(form.get("version"), "version")
    if version is None:
        raise Invalid(t("events.need_version"), code="version_required")
    p: dict[str, Any] = {"note": (str(form.get("note") or "").strip() or None)}
    if action == "accept":
        p["item_code"] = str(form.get("item_code") or "").strip() or None
        severity = str(form.get("severity") or "").strip()
        if severity and severity not in SEVERITIES:
            raise Invalid(t("events.bad_severity", value=severity), code="invalid_severity")
        p["severity"] = severity or None
    elif action == "dispatch":
        p["department_id"] = _int(form.get("department_id"), t("events.f_department"))
        if p["department_id"] is None:
            raise Invalid(t("events.pick_department"), code="department_required")
        p["assist_department_ids"] = [int(v) for v in form.getlist("assist_department_ids") if str(v).isdigit()]
    elif action == "whistle":
        p["department_ids"] = [int(v) for v in form.getlist("department_ids") if str(v).isdigit()]
        hours = _float(form.get("check_in_hours"), t("events.f_check_in_hours"), 0.5, 72)
        p["check_in_hours"] = hours
    elif action == "request_extension":
        p["hours"] = _float(form.get("hours"), t("events.f_hours"), 1, 720)
        if p["hours"] is None:
            raise Invalid(t("events.need_hours"), code="invalid_extension")
    elif action == "merge":
        into = str(form.get("into") or "").strip().upper()
        if not into:
            raise Invalid(t("events.need_target"), code="invalid_merge_target")
        p["into"] = into
    elif action == "evaluate":
        p["rating"] = str(form.get("rating") or "")
        p["comment"] = str(form.get("comment") or "").strip()[:500] or None
    if photo is not None:
        row = attachments.store(db, user, photo[0], photo[1])
        p["attachment_ids"] = [row.id]
    if p["note"] and len(p["note"]) > 2000:
        raise Invalid(t("events.note_too_long"), code="note_too_long")
    return p, version


@router.post("/events/{ref}/actions/{action}", response_class=HTMLResponse)
async def event_action(request: Request, ref: EventRef, action: Annotated[str, Path(pattern=r"^[a-z_]{3,24}$")],
                       db: Db, user: PageUser) -> Response:
    form = await request.form()
    photo = None
    upload = form.get("photo")
    if isinstance(upload, UploadFile):
        data = await upload.read(get_settings().attachment_max_bytes + 1)
        if data:
            photo = (upload.filename or "photo", data)
    return await run_in_threadpool(_action, request, ref, action, db, user, form, photo)


def _action(request: Request, ref: str, action: str, db: Db, user: User, form: FormData,
            photo: tuple[str, bytes] | None) -> Response:
    _staff(user)
    if action not in FORM_ACTIONS:
        return _error_fragment(request, Invalid(t("events.unknown_action", action=action), code="unknown_action",
                                                status=404))
    try:
        with db.begin_nested():
            payload, version = _payload(db, user, action, form, photo)
            service.act(db, user, ref, action, payload, expected_version=version)
    except AppError as exc:
        stale = isinstance(exc, Conflict) and exc.code == "version_conflict"
        return _error_fragment(request, exc, refresh=stale or exc.code == "invalid_transition")
    db.flush()
    ctx = _detail_context(db, user, ref)
    return _fragment(request, "events/_after_action.html", user=user, **ctx,
                     done=t("events.action_done", action=ACTION_LABELS[Action(action)]),
                     headers={"HX-Reswap": "none"})


@router.get("/events/{ref}/duplicates", response_class=HTMLResponse)
def event_duplicates(request: Request, ref: EventRef, db: Db, user: PageUser) -> Response:
    _staff(user)
    try:
        out = duplicates_service.duplicates_out(db, user, ref, limit=8)
        d = service.detail(db, user, ref)
    except AppError as exc:
        return _error_fragment(request, exc)
    can_merge = any(a["action"] == "merge" for a in d.get("actions", []))
    return _fragment(request, "events/_duplicates.html", dup=out, e=d, can_merge=can_merge)


@router.post("/events/{ref}/review", response_class=HTMLResponse)
async def event_review(request: Request, ref: EventRef, db: Db, user: PageUser) -> Response:
    form = await request.form()
    return await run_in_threadpool(_review, request, ref, db, user, form)


def _review(request: Request, ref: str, db: Db, user: User, form: FormData) -> Response:
    _staff(user)
    try:
        scores = {k: _int(form.get(k), t(f"events.{k}")) for k in ("routing_score", "handling_score", "effect_score")}
        if any(v is None for v in scores.values()):
            raise Invalid(t("events.need_scores"), code="invalid_score")
        with db.begin_nested():
            review_department(db, user, ref, {**scores, "comment": str(form.get("comment") or "").strip()[:500]})
    except AppError as exc:
        return _error_fragment(request, exc)
    reviews = reviews_of(db, user, ref)
    return _fragment(request, "events/_reviews.html", reviews=reviews, reviewed=True, review_allowed=True,
                     e={"code": ref}, done=t("events.review_done"),
                     headers={"HX-Retarget": "#reviews-body", "HX-Reswap": "outerHTML"})


# --- inbox and notices ----------------------------------------------------------------------

def _inbox_context(db: Db, user: User) -> dict[str, Any]:
    box = inbox.list_inbox(db, user, limit=100)
    ctx: dict[str, Any] = {"box": box, "received": notices.my_notices(db, user), "centre": _is_centre(user)}
    if _is_centre(user):
        from gridgov.access.scope import scope_of

        ctx["sent"] = notices.sent(db, user)
        scope = scope_of(user)
        ctx["default_region"] = sorted(scope.regions)[0] if scope.regions else ""
    return ctx


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, db: Db, user: PageUser) -> Response:
    _staff(user)
    return render(request, user, "events/inbox.html", nav="inbox", **_inbox_context(db, user))


@router.post("/inbox/read", response_class=HTMLResponse)
async def inbox_read(request: Request, db: Db, user: PageUser) -> Response:
    form = await request.form()
    return await run_in_threadpool(_inbox_read, request, db, user, form)


def _inbox_read(request: Request, db: Db, user: User, form: FormData) -> Response:
    _staff(user)
    try:
        nid = _int(form.get("notification_id"), "id")
        inbox.mark_read(db, user, nid)
    except AppError as exc:
        return _error_fragment(request, exc)
    box = inbox.list_inbox(db, user, limit=100)
    return _fragment(request, "events/_notifications.html", box=box)


@router.post("/inbox/notices", response_class=HTMLResponse)
async def notice_send(request: Request, db: Db, user: PageUser) -> Response:
    form = await request.form()
    return await run_in_threadpool(_notice_send, request, db, user, form)


def _notice_send(request: Request, db: Db, user: User, form: FormData) -> Response:
    _staff(user)
    title, body = str(form.get("title") or "").strip(), str(form.get("body") or "").strip()
    region = str(form.get("region_code") or "").strip()
    try:
        if not title or not body or len(title) > 120 or len(body) > 4000:
            raise Invalid(t("events.notice_need_text"), code="invalid_notice")
        if not (region.isdigit() and 2 <= len(region) <= 17):
            raise Invalid(t("events.bad_region"), code="invalid_region_code")
        with db.begin_nested():
            n = notices.send(db, user, title=title, body=body, region_code=region,
                             requires_reply=form.get("requires_reply") in ("1", "on", "true"))
    except AppError as exc:
        return _error_fragment(request, exc)
    return _fragment(request, "events/_sent.html", sent=notices.sent(db, user),
                     done=t("events.notice_sent", title=n.title),
                     headers={"HX-Retarget": "#notices-sent", "HX-Reswap": "innerHTML", "HX-Trigger": "notice-sent"})


@router.get("/inbox/notices/{notice_id}/receipts", response_class=HTMLResponse)
def notice_receipts(request: Request, notice_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: Db,
                    user: PageUser) -> Response:
    _staff(user)
    try:
        rows = notices.receipts(db, user, notice_id)
    except AppError as exc:
        return _error_fragment(request, exc)
    return _fragment(request, "events/_receipts.html", rows=rows)


@router.post("/inbox/notices/{notice_id}/{verb}", response_class=HTMLResponse)
async def notice_answer(request: Request, notice_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                        verb: Annotated[str, Path(pattern="^(read|reply)$")], db: Db, user: PageUser) -> Response:
    form = await request.form()
    return await run_in_threadpool(_notice_answer, request, notice_id, verb, db, user, form)


def _notice_answer(request: Request, notice_id: int, verb: str, db: Db, user: User, form: FormData) -> Response:
    _staff(user)
    try:
        if verb == "reply":
            text = str(form.get("reply") or "").strip()
            if not text or len(text) > 2000:
                raise Invalid(t("events.notice_need_reply"), code="reply_required")
            n = notices.reply(db, user, notice_id, text)
        else:
            n = notices.mark_read(db, user, notice_id)
    except AppError as exc:
        return _error_fragment(request, exc)
    return _fragment(request, "events/_notice.html", n=n)
