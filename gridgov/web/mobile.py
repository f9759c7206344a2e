"""The grid worker's phone pages (网格员移动端): my grid, report an event, my tasks, one event, visits.

Phone-first (390×844) and fine on a desktop. The pages are rendered here from the domain services
(which decide scope); the report form posts JSON to ``/api/v1/events`` from ``mobile.js`` like a
phone app would (with a ``client_id`` per report, kept in the browser until the server has it, so a
retry never files twice); actions on an event and visits post through htmx to the routes below,
which answer with a fragment (errors in place, see :func:`gridgov.web.pages.error_page`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

import shapely
from fastapi import APIRouter, File, Form, Path, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from gridgov.access.deps import Db
from gridgov.access.models import User
from gridgov.access.roles import Role
from gridgov.access.scope import scope_clause, scope_of
from gridgov.errors import Invalid
from gridgov.events import attachments, catalog, notices, queues, service
from gridgov.events.models import Attachment, Event
from gridgov.events.parties import visible_clause
from gridgov.events.workflow import TABLE, Action
from gridgov.people import care
from gridgov.people.groups import GROUPS
from gridgov.people.models import SpecialGroupMember
from gridgov.people.service import get_person, person_out
from gridgov.regions.models import Region
from gridgov.settings import get_settings
from gridgov.web.i18n import t
from gridgov.web.localtime import local_time, zone
from gridgov.web.pages import PageUser, has_role, is_htmx, render, require

router = APIRouter(include_in_schema=False)

MESSAGES = ("mobile.",)
EventRef = Annotated[str, Path(pattern=r"^(\d{1,10}|SJ\d{8,20})$")]
#: the actions a grid worker takes from the phone (others belong to the event centre)
PHONE_ACTIONS = (Action.verify_pass, Action.verify_fail, Action.escalate, Action.comment)
DUE_SOON_DAYS = 7
TASK_LIMIT = 30


def _require_grid_worker(user: User) -> None:
    require(has_role(user, Role.grid_worker), t("mobile.only_grid_worker"))


def _my_grids(db: Db, user: User) -> list[Region]:
    """The grids the worker is responsible for (their scope roots), current versions."""
    codes = scope_of(user).regions
    if not codes:
        return []
    return list(db.scalars(select(Region).where(Region.code.in_(codes), Region.valid_to.is_(None))
                           .order_by(Region.code)))


def _count(db: Db, *conds) -> int:
    return db.scalar(select(func.count()).select_from(Event).where(*conds)) or 0


def _week_start() -> datetime:
    """Monday 00:00 of this week, local (China) time."""
    now = datetime.now(zone())
    start = now.date() - timedelta(days=now.weekday())
    return datetime(start.year, start.month, start.day, tzinfo=zone())


def _visit_counts(db: Db, user: User, today: date) -> tuple[int, int]:
    """(due within a week, overdue) special-group visits in the worker's scope."""
    base = (SpecialGroupMember.valid_to.is_(None),
            scope_clause(user, region_column=SpecialGroupMember.grid_code))
    overdue = db.scalar(select(func.count()).select_from(SpecialGroupMember).where(
        *base, SpecialGroupMember.next_visit_due < today)) or 0
    due = db.scalar(select(func.count()).select_from(SpecialGroupMember).where(
        *base, SpecialGroupMember.next_visit_due >= today,
        SpecialGroupMember.next_visit_due <= today + timedelta(days=DUE_SOON_DAYS))) or 0
    return due, overdue


def _event_row(e: dict[str, Any]) -> dict[str, Any]:
    return {**e, "created_local": local_time(e["created_at"]), "due_local": local_time(e.get("due_at"))}


# --- my grid ------------------------------------------------------------------------------------

@router.get("/m", response_class=HTMLResponse)
def home(request: Request, db: Db, user: PageUser) -> Response:
    _require_grid_worker(user)
    today = date.today()
    visible = visible_clause(user)
    open_states = Event.state.in_(queues.OPEN_STATES)
    counts = {
        "to_verify": _count(db, visible, queues.queue_clause("to_verify", user)),
        "my_open": _count(db, visible, queues.queue_clause("mine", user), open_states),
        "week": _count(db, visible, Event.created_at >= _week_start()),
    }
    counts["visits_due"], counts["visits_overdue"] = _visit_counts(db, user, today)
    notes = [{**n, "created_local": local_time(n["created_at"])} for n in notices.my_notices(db, user, limit=5)]
    recent = queues.search(db, user, limit=5)["items"]
    return render(request, user, "mobile/home.html", nav="mobile", messages=MESSAGES, grids=_my_grids(db, user), counts=counts,
                  notices=notes, recent=[_event_row(e) for e in recent])


# --- report -------------------------------------------------------------------------------------

def _grid_layers(grids: list[Region], db: Db) -> dict[str, Any]:
    """GeoJSON of the worker's grids and their micro-grids, for the small map (no tiles)."""
    codes = [g.code for g in grids]
    if not codes:
        return {"type": "FeatureCollection", "features": []}
    rows = db.execute(select(Region.code, Region.name, Region.level, Region.geometry).where(
        Region.valid_to.is_(None), Region.geometry.isnot(None),
        Region.level.in_(("grid", "micro_grid")),
        Region.code.in_(codes) | Region.parent_code.in_(codes)).order_by(Region.code)).all()
    geoms = shapely.simplify(shapely.from_wkb([r.geometry for r in rows]), 0.00001, preserve_topology=True)
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": shapely.geometry.mapping(g),
         "properties": {"code": r.code, "name": r.name, "level": r.level}}
        for r, g in zip(rows, geoms) if g is not None and not g.is_empty]}


_PICKER: dict[tuple[str, int], list[dict[str, Any]]] = {}


def _picker_categories(db: Db) -> list[dict[str, Any]]:
    """The current catalog as the item picker shows it, cached per catalog version (a version never changes)."""
    version = catalog.current_version(db)
    key = (str(db.get_bind().url), version.id)
    found = _PICKER.get(key)
    if found is None:
        cat = catalog.catalog_out(db, version)
        found = [{"code": c["code"], "name": c["name"],
                  "items": [{"code": i["code"], "name": i["name"], "self_resolvable": i["self_resolvable"],
                             "keywords": i["keywords"] or ""} for i in c["items"]]}
                 for c in cat["categories"] if c["items"]]
        if len(_PICKER) > 8:
            _PICKER.clear()
        _PICKER[key] = found
    return found


@router.get("/m/report", response_class=HTMLResponse)
def report_page(request: Request, db: Db, user: PageUser) -> Response:
    _require_grid_worker(user)
    grids = _my_grids(db, user)
    categories = _picker_categories(db)
    settings = get_settings()
    config = {"layers": _grid_layers(grids, db), "max_bytes": settings.attachment_max_bytes}
    return render(request, user, "mobile/report.html", nav="mobile", messages=MESSAGES, categories=categories,
                  config=config, grids=grids)


# --- tasks and one event ------------------------------------------------------------------------

@router.get("/m/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, db: Db, user: PageUser, tab: str = "verify") -> Response:
    _require_grid_worker(user)
    if tab not in ("verify", "mine", "grid"):
        tab = "verify"
    if tab == "verify":
        rows = queues.search(db, user, queue="to_verify", limit=TASK_LIMIT)["items"]
    elif tab == "mine":
        rows = queues.search(db, user, queue="mine", limit=TASK_LIMIT)["items"]
    else:
        rows = queues.search(db, user, state=",".join(queues.OPEN_STATES), limit=TASK_LIMIT)["items"]
    visible = visible_clause(user)
    counts = {"verify": _count(db, visible, queues.queue_clause("to_verify", user)),
              "mine": _count(db, visible, queues.queue_clause("mine", user),
                             Event.state.in_(queues.OPEN_STATES)),
              "grid": _count(db, visible, Event.state.in_(queues.OPEN_STATES))}
    return render(request, user, "mobile/tasks.html", nav="mobile", messages=MESSAGES, tab=tab, rows=[_event_row(e) for e in rows],
                  counts=counts, limit=TASK_LIMIT)


def _detail_context(db: Db, user: User, ref: str) -> dict[str, Any]:
    d = service.detail(db, user, ref)
    allowed = {a["action"] for a in d.get("actions") or []}
    actions = [a for a in PHONE_ACTIONS if a.value in allowed]
    photos = list(db.scalars(select(Attachment).where(Attachment.event_id == d["id"]).order_by(Attachment.id)))
    timeline = [{**s, "at_local": local_time(s["at"])} for s in d["timeline"]]
    return {"event": _event_row(d), "actions": actions, "timeline": timeline, "photos": photos,
            "note_required": {a.value for a in PHONE_ACTIONS if TABLE[a].note_required}}


@router.get("/m/events/{ref}", response_class=HTMLResponse)
def event_page(request: Request, db: Db, user: PageUser, ref: EventRef) -> Response:
    _require_grid_worker(user)
    return render(request, user, "mobile/event.html", nav="mobile", messages=MESSAGES, **_detail_context(db, user, ref))


@router.post("/m/events/{ref}/act", response_class=HTMLResponse)
def event_act(request: Request, db: Db, user: PageUser, ref: EventRef,
                    action: Annotated[str, Form(max_length=24)],
                    version: Annotated[int | None, Form()] = None,
                    note: Annotated[str | None, Form(max_length=2000)] = None,
                    photo: Annotated[UploadFile | None, File()] = None) -> Response:
    """One action from the phone (核查通过/不通过, 上报上级, 备注), with an optional photo.

    Answers with the refreshed event panel (retargeted), or an error fragment in the form's slot."""
    _require_grid_worker(user)
    if action not in {a.value for a in PHONE_ACTIONS}:
        raise Invalid(t("mobile.act_unknown"), code="unknown_action")
    ids: list[int] = []
    if photo is not None and photo.filename:
        limit = get_settings().attachment_max_bytes
        data = photo.file.read(limit + 1)  # a sync view (run in the thread pool): the DB work must not block the loop
        ids.append(attachments.store(db, user, photo.filename, data).id)
    service.act(db, user, ref, action, {"note": (note or "").strip() or None, "attachment_ids": ids},
                expected_version=version)
    db.flush()
    ctx = _detail_context(db, user, ref)
    ctx["done"] = t("mobile.act_done", action=t(f"mobile.action_{action}"))
    headers = {"HX-Retarget": "#event-panel", "HX-Reswap": "outerHTML"} if is_htmx(request) else None
    return render(request, user, "mobile/_event_panel.html", headers=headers, **ctx)


# --- notices ------------------------------------------------------------------------------------

@router.post("/m/notices/{notice_id}/reply", response_class=HTMLResponse)
def reply_notice(request: Request, db: Db, user: PageUser, notice_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
                 reply: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """Reply to a 一键通 notice from the phone (the centre sees it in the notice's receipts)."""
    _require_grid_worker(user)
    if not reply.strip():
        raise Invalid(t("mobile.notice_reply_required"), code="reply_required")
    n = notices.reply(db, user, notice_id, reply.strip())
    headers = {"HX-Retarget": f"#notice-{notice_id}", "HX-Reswap": "outerHTML"} if is_htmx(request) else None
    return render(request, user, "mobile/_notice.html", headers=headers,
                  n={**n, "created_local": local_time(n["created_at"])})


# --- visits -------------------------------------------------------------------------------------

def _members_due(db: Db, user: User, today: date, limit: int = 60) -> list[dict[str, Any]]:
    """Special-group members in scope whose visit is overdue or due within a week, most urgent first."""
    out = []
    horizon = today + timedelta(days=DUE_SOON_DAYS)
    for m in care.list_members(db, user, limit=limit):  # ordered by next_visit_due
        if m["next_visit_due"] > horizon:
            break
        out.append({**m, "due_in": (m["next_visit_due"] - today).days})
    return out


@router.get("/m/visits", response_class=HTMLResponse)
def visits_page(request: Request, db: Db, user: PageUser) -> Response:
    _require_grid_worker(user)
    today = date.today()
    members = _members_due(db, user, today)
    return render(request, user, "mobile/visits.html", nav="mobile", messages=MESSAGES, members=members, methods=care.VISIT_METHODS,
                  groups=GROUPS, today=today)


@router.post("/m/visits", response_class=HTMLResponse)
def record_visit(request: Request, db: Db, user: PageUser,
                 member_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
                 method: Annotated[str, Form(max_length=10)] = "home",
                 content: Annotated[str, Form(max_length=2000)] = "",
                 findings: Annotated[str | None, Form(max_length=2000)] = None) -> Response:
    _require_grid_worker(user)
    if not content.strip():
        raise Invalid(t("mobile.visit_content_required"), code="content_required")
    v = care.record_visit(db, user, member_id=member_id, method=method, content=content,
                          findings=(findings or "").strip() or None)
    db.flush()
    member = db.get(SpecialGroupMember, member_id)
    person = get_person(db, user, member.person_id)
    headers = {"HX-Retarget": f"#member-{member_id}", "HX-Reswap": "outerHTML"} if is_htmx(request) else None
    return render(request, user, "mobile/_visit_done.html", headers=headers, visit=v,
                  member=care.member_out(member), person=person_out(person),
                  method_label=care.VISIT_METHODS.get(v.method, v.method), visited_local=local_time(v.visited_at))
