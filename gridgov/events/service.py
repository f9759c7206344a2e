"""Events: intake from every channel, the actions of the workflow, the timeline and the queues.

Every action goes through :func:`act`: the pure table in :mod:`gridgov.events.workflow` says
whether it is allowed for this user's party and the event's state; the event row is updated with
its version checked (a concurrent action loses with 409); one log row and one audit entry are
written in the same transaction; the step clock restarts; the people concerned are notified.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from gridgov.access import audit
from gridgov.access.masking import mask_name, mask_phone
from gridgov.access.models import Department, User
from gridgov.access.redact import redact
from gridgov.access.roles import Role
from gridgov.db import utcnow
from gridgov.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.events import catalog, clock, inbox
from gridgov.events.duplicates_service import notify_merged_reporters
from gridgov.events.models import Assignment, Event, EventLog
from gridgov.events.parties import get_visible, parties_of
from gridgov.events.workflow import (
    ACTION_LABELS,
    FINAL,
    STATE_LABELS,
    Action,
    Party,
    State,
    TransitionError,
    available,
    plan,
)
from gridgov.regions.service import place_point_cached

CHANNELS = {"grid": "网格员上报", "resident": "群众随手拍", "hotline": "12345热线", "open311": "Open311",
            "sensor": "物联感知", "centre": "中心录入"}
RATINGS = {"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}
INTAKE_ROLES = {"grid": {Role.grid_worker, Role.admin}, "centre": {Role.operator, Role.admin},
                "hotline": {Role.operator, Role.admin}, "open311": None, "resident": None, "sensor": None}  # sensor: the device key (gridgov.sensors)


# --- shaping --------------------------------------------------------------------------------

def event_out(e: Event, *, parties: set[Party] | None = None, public: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": e.id, "code": e.code, "channel": e.channel, "channel_label": CHANNELS.get(e.channel, e.channel),
        "item_code": e.item_code, "category_code": e.category_code, "severity": e.severity,
        "title": e.title, "description": e.description, "address": e.address,
        "lon": e.lon, "lat": e.lat, "grid_code": e.grid_code, "region_code": e.region_code,
        "state": e.state, "state_label": STATE_LABELS[State(e.state)], "level": e.level,
        "created_at": e.created_at, "updated_at": e.updated_at, "due_at": e.due_at, "overdue": e.overdue,
        "closed_at": e.closed_at, "rating": e.rating, "rating_label": RATINGS.get(e.rating or ""),
        "merged_into_id": e.merged_into_id, "is_dispute": e.is_dispute,
    }
    if public:  # the world sees it (tracking page and API): personal data typed into the text masked
        out.update(description=redact(e.description), address=redact(e.address))
        return out
    out.update({
        "external_id": e.external_id, "lead_department_id": e.lead_department_id,
        "reporter_name": mask_name(e.reporter_name), "reporter_phone": mask_phone(e.reporter_phone),
        "warned": e.warned, "handle_due_at": e.handle_due_at, "extended": e.extended,
        "extension_pending_hours": e.extension_pending_hours, "rework_count": e.rework_count,
        "accepted_at": e.accepted_at, "dispatched_at": e.dispatched_at, "handled_at": e.handled_at,
        "self_resolved": e.self_resolved, "rating_comment": e.rating_comment, "version": e.version,
    })
    if parties is not None:
        out["actions"] = [{"action": a.value, "label": ACTION_LABELS[a]} for a in available(e.state, parties)]
    return out


def log_out(row: EventLog) -> dict[str, Any]:
    return {"id": row.id, "action": row.action, "action_label": ACTION_LABELS.get(Action(row.action), row.action),
            "from_state": row.from_state, "to_state": row.to_state, "actor": row.actor_name, "party": row.party,
            "note": row.note, "data": row.data, "at": row.at, "audit_seq": row.audit_seq}


# --- intake ---------------------------------------------------------------------------------

def _digest(data: dict[str, Any]) -> str:
    keys = ("item_code", "title", "description", "lon", "lat", "address", "external_id")
    return hashlib.sha256(json.dumps({k: data.get(k) for k in keys}, sort_keys=True, default=str,
                                     ensure_ascii=False).encode()).hexdigest()


def _replay(db: Session, channel: str, client_id: str, data: dict[str, Any]) -> Event | None:
    found = db.scalar(select(Event).where(Event.channel == channel, Event.client_id == client_id))
    if found is None:
        return None
    first = db.scalar(select(EventLog.data).where(EventLog.event_id == found.id, EventLog.action.in_(
        ("report", "self_resolve"))).order_by(EventLog.id).limit(1)) or {}
    if first.get("digest") != _digest(data):
        raise Conflict("该幂等键已用于另一份不同内容的上报", code="idempotency_key_reused",
                       details={"event_code": found.code})
    return found


def _locate(db: Session, data: dict[str, Any]) -> dict[str, Any]:
    if data.get("lon") is not None and data.get("lat") is not None:
        where = place_point_cached(db, data["lon"], data["lat"], data.get("crs", "wgs84"))
        return {**where, "region_code": where["grid_code"]}
    region = data.get("region_code")
    if region:
        return {"region_code": region, "grid_code": None, "grid_region_id": None, "lon": None, "lat": None,
                "h3": None}
    raise Invalid("请提供事件位置（经纬度）或所属区划代码", code="location_required")


def check_channel(actor: User | None, channel: str) -> None:
    if channel not in CHANNELS:
        raise Invalid(f"未知的上报渠道：{channel}", code="unknown_channel")
    allowed = INTAKE_ROLES[channel]
    if allowed is not None and (actor is None or Role(actor.role) not in allowed):
        raise Forbidden("您的角色不能通过该渠道上报事件", code="permission_denied")


def prepare(db: Session, actor: User | None, data: dict[str, Any], *, channel: str,
            reporter: dict[str, Any] | None = None) -> tuple[Event, catalog.ItemInfo, bool]:
    """Validate a report and make its event, not yet added to the session: item, self-resolve rules,
    location and scope, lead department, step clock. Returns ``(event, item, self_resolve)``.
    Reads only cached data in the common case (catalog, regions, responsibility list)."""
    version, item = catalog.current_item(db, data["item_code"])
    self_resolve = bool(data.get("self_resolve"))
    if self_resolve:
        if channel != "grid":
            raise Invalid("只有网格员上报的事件可以自处置", code="self_resolve_not_allowed")
        if not item.self_resolvable:
            raise Invalid(f"事项「{item.name}」不允许网格员自处置，请正常上报", code="self_resolve_not_allowed")
        if not (data.get("result") or "").strip():
            raise Invalid("自处置须填写处置结果", code="note_required")
    where = _locate(db, data)
    if actor is not None and channel == "grid":
        from gridgov.access.scope import require_visible

        require_visible(actor, region_code=where["region_code"], what="上报位置")
    now = utcnow()
    reporter = reporter or {}
    severity = data.get("severity") or item.severity
    e = Event(
        code=secrets.token_hex(8), tracking_code=_tracking_code(), channel=channel, client_id=data.get("client_id"),
        external_id=data.get("external_id"), catalog_version_id=version.id, item_code=item.code,
        category_code=item.category_code, severity=severity, title=(data.get("title") or item.name)[:120],
        description=data["description"], address=data.get("address"), state=State.reported.value,
        reporter_user_id=getattr(actor, "id", None) if channel != "open311" else None,
        reporter_name=reporter.get("name") or getattr(actor, "display_name", None),
        reporter_phone=reporter.get("phone"), is_dispute=bool(data.get("is_dispute")),
        created_at=now, step_started_at=now, **where,
    )
    e.lead_department_id = catalog.responsible_department(db, item, e.region_code)
    if not self_resolve:
        clock.start_step(db, e, item, now)  # before the INSERT: one UPDATE less per report
    return e, item, self_resolve


def report(db: Session, actor: User | None, data: dict[str, Any], *, channel: str,
           reporter: dict[str, Any] | None = None) -> tuple[Event, bool]:
    """File a new event. Returns ``(event, created)``; a replayed ``client_id`` returns the first event."""
    check_channel(actor, channel)
    client_id = data.get("client_id")
    if client_id:
        found = _replay(db, channel, client_id, data)
        if found is not None:
            return found, False
    e, item, self_resolve = prepare(db, actor, data, channel=channel, reporter=reporter)
    now = e.created_at
    db.add(e)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        if client_id:  # a concurrent request with the same key won the insert
            found = _replay(db, channel, client_id, data)
            if found is not None:
                return found, False
        raise
    e.code = f"SJ{now:%Y%m%d}{e.id:07d}"
    action = Action.self_resolve if self_resolve else Action.report
    _log(db, actor, e, action, None, Party.grid if channel == "grid" else Party.reporter,
         data.get("note"), {"digest": _digest(data), "channel": channel,
                            "attachments": data.get("attachment_ids") or []})
    if self_resolve:
        e.state, e.self_resolved = State.closed.value, True
        e.handled_at = e.closed_at = now
        e.handled_on_time = True
        _log(db, actor, e, Action.handle, State.reported, Party.grid, data["result"], {})
        e.due_at = None
    _attach(db, e, data.get("attachment_ids"))
    db.flush()
    return e, True


_TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 letters: byte & 31 is uniform


def _tracking_code() -> str:
    return "".join(_TRACKING_ALPHABET[b & 31] for b in secrets.token_bytes(10))  # one urandom call, not ten


def _attach(db: Session, e: Event, ids: list[int] | None) -> None:
    if not ids:
        return
    from gridgov.events.attachments import claim

    claim(db, e.id, ids)


def _log(db: Session, actor: User | None, e: Event, action: Action, from_state: State | None, party: Party,
         note: str | None, data: dict[str, Any]) -> EventLog:
    entry = audit.record(db, actor, f"event.{action.value}", "event", e.id,
                         after={"state": e.state, "note": note, **data})
    row = EventLog(event_id=e.id, action=action.value, from_state=from_state.value if from_state else None,
                   to_state=e.state, actor_id=getattr(actor, "id", None),
                   actor_name=_actor_name(actor, party),
                   party=party.value, note=note, data=data, audit_seq=entry.seq, at=utcnow())
    db.add(row)
    return row


def add_note(db: Session, actor: User | None, e: Event, note: str, data: dict[str, Any], *,
             party: Party = Party.system, actor_name: str | None = None) -> EventLog:
    """A note on an event from outside the workflow's parties (a sensor reporting its alarm cleared):
    one ``comment`` log row with its audit entry; the state and the clocks do not change."""
    row = _log(db, actor, e, Action.comment, State(e.state), party, note, data)
    if actor_name:
        row.actor_name = actor_name[:100]
    return row


def _actor_name(actor: User | None, party: Party) -> str:
    if actor is not None:
        return actor.display_name or actor.username
    return "上报人" if party is Party.reporter else "系统"


# --- actions --------------------------------------------------------------------------------

def act(db: Session, actor: User | None, event_ref: int | str, action: str, payload: dict[str, Any], *,
        expected_version: int | None = None, party: Party | None = None) -> Event:
    """Take one workflow action on an event (see :data:`gridgov.events.workflow.RULES`)."""
    e = get_visible(db, actor, event_ref) if party is None else _by_ref(db, event_ref)
    if expected_version is not None and expected_version != e.version:
        raise Conflict("事件已被他人处理，请刷新后重试", code="version_conflict",
                       details={"current_version": e.version})
    parties = {party} if party is not None else parties_of(db, actor, e)
    note = payload.get("note")
    before = State(e.state)
    try:
        target = plan(before, action, parties, note)
    except TransitionError as exc:
        status = 403 if exc.code == "not_your_step" else 409 if exc.code == "invalid_transition" else 422
        raise Invalid(exc.message, code=exc.code, status=status,
                      details={"state": e.state, "action": action}) from None
    action = Action(action)
    acting_party = next(iter(sorted(parties & _rule_parties(action))))
    now = utcnow()
    data = HANDLERS[action](db, actor, e, payload, now)
    e.state = target.value
    if target != before and target not in FINAL:
        clock.start_step(db, e, catalog.item_of(db, e), now)
    elif target in FINAL:
        clock.stop(e)
    e.updated_at = now
    try:
        db.flush()
    except StaleDataError:
        db.rollback()
        raise Conflict("事件已被他人处理，请刷新后重试", code="version_conflict") from None
    _log(db, actor, e, action, before, acting_party, note, {**data, "attachments": payload.get("attachment_ids") or []})
    _attach(db, e, payload.get("attachment_ids"))
    inbox.after_action(db, actor, e, action, data)
    if action in (Action.close, Action.verify_pass):
        notify_merged_reporters(db, e, actor=actor)
    elif action is Action.merge and e.merged_into_id is not None:
        target = db.get(Event, e.merged_into_id)
        if target is not None:  # merged into an event already closed
            notify_merged_reporters(db, target, actor=actor)
    db.flush()
    return e


def _by_ref(db: Session, ref: int | str) -> Event:
    cond = Event.id == int(ref) if isinstance(ref, int) or str(ref).isdigit() else Event.code == str(ref)
    e = db.scalar(select(Event).where(cond))
    if e is None:
        raise NotFound("事件不存在", code="event_not_found")
    return e


def _rule_parties(action: Action) -> frozenset[Party]:
    from gridgov.events.workflow import TABLE

    return TABLE[action].parties


def _department(db: Session, dept_id: int | None) -> Department:
    d = db.get(Department, dept_id) if dept_id is not None else None
    if d is None or d.is_centre:
        raise Invalid("请指定一个处置部门（职能部门）", code="department_required")
    return d


def _on_accept(db, actor, e, p, now):
    e.accepted_at = now
    if p.get("item_code") and p["item_code"] != e.item_code:  # the operator re-classifies
        version, item = catalog.current_item(db, p["item_code"])
        e.item_code, e.category_code, e.catalog_version_id = item.code, item.category_code, version.id
        e.lead_department_id = catalog.responsible_department(db, item, e.region_code)
    if p.get("severity"):
        e.severity = p["severity"]
    return {"item_code": e.item_code, "severity": e.severity}


def _on_dispatch(db, actor, e, p, now):
    dept = _department(db, p.get("department_id") or e.lead_department_id)
    assists = [_department(db, d).id for d in p.get("assist_department_ids") or [] if d != dept.id]
    e.lead_department_id = dept.id
    e.dispatched_at = now
    _assign(db, e, dept.id, "lead", None)
    for d in assists:
        _assign(db, e, d, "assist", None)
    return {"department_id": dept.id, "department": dept.name, "assist_department_ids": assists}


def _assign(db, e, dept_id, kind, due_at):
    row = db.scalar(select(Assignment).where(Assignment.event_id == e.id, Assignment.department_id == dept_id))
    if row is None:
        db.add(Assignment(event_id=e.id, department_id=dept_id, kind=kind, status="pending", due_at=due_at))
    else:
        row.kind = kind if kind == "lead" else row.kind
        row.status, row.due_at, row.answered_at = "pending", due_at, None


def _answer(db, actor, e, status, now):
    row = db.scalar(select(Assignment).where(Assignment.event_id == e.id,
                                             Assignment.department_id == actor.department_id))
    if row is not None:
        row.status, row.answered_at = status, now
    return row


def _on_sign(db, actor, e, p, now):
    _answer(db, actor, e, "signed", now)
    return {}


def _on_return(db, actor, e, p, now):
    _answer(db, actor, e, "returned", now)
    return {"department_id": e.lead_department_id}


def _on_request_extension(db, actor, e, p, now):
    hours = p.get("hours")
    if not isinstance(hours, int | float) or not 0 < hours <= 24 * 30:
        raise Invalid("延期时长须为 1 至 720 个工作小时", code="invalid_extension")
    if e.extension_pending_hours:
        raise Invalid("已有待审批的延期申请", code="extension_pending", status=409)
    e.extension_pending_hours = float(hours)
    return {"hours": hours}


def _on_approve_extension(db, actor, e, p, now):
    if not e.extension_pending_hours:
        raise Invalid("没有待审批的延期申请", code="no_extension_pending", status=409)
    hours = e.extension_pending_hours
    clock.extend(e, hours)
    e.extension_pending_hours, e.extended = None, True
    return {"hours": hours, "due_at": e.due_at.isoformat() if e.due_at else None}


def _on_deny_extension(db, actor, e, p, now):
    if not e.extension_pending_hours:
        raise Invalid("没有待审批的延期申请", code="no_extension_pending", status=409)
    hours, e.extension_pending_hours = e.extension_pending_hours, None
    return {"hours": hours}


def _on_handle(db, actor, e, p, now):
    e.handled_at = now
    e.handled_on_time = e.handle_due_at is None or now <= e.handle_due_at
    return {"on_time": e.handled_on_time}


def _on_verify_pass(db, actor, e, p, now):
    e.closed_at = now
    return {}


def _on_verify_fail(db, actor, e, p, now):
    e.rework_count += 1
    e.handled_at = None
    return {"rework_count": e.rework_count}


def _on_close(db, actor, e, p, now):
    e.closed_at = now
    return {}


def _on_evaluate(db, actor, e, p, now):
    rating = p.get("rating")
    if rating not in RATINGS:
        raise Invalid("评价须为：满意(satisfied)、基本满意(basic)、不满意(unsatisfied)", code="invalid_rating")
    e.rating, e.rating_comment, e.evaluated_at = rating, (p.get("comment") or None), now
    return {"rating": rating}


def _on_escalate(db, actor, e, p, now):
    e.level += 1
    return {"level": e.level}


def _on_whistle(db, actor, e, p, now):
    ids = p.get("department_ids") or []
    if not ids:
        raise Invalid("吹哨须选择至少一个部门", code="department_required")
    hours = float(p.get("check_in_hours") or 2)
    due = clock.deadline(now, hours)
    depts = [_department(db, d) for d in ids]
    for d in depts:
        if d.id != e.lead_department_id:
            _assign(db, e, d.id, "whistle", due)
    if e.lead_department_id is None:
        e.lead_department_id = depts[0].id
        _assign(db, e, depts[0].id, "lead", due)
    e.dispatched_at = e.dispatched_at or now
    return {"department_ids": [d.id for d in depts], "check_in_due": due.isoformat()}


def _on_check_in(db, actor, e, p, now):
    row = _answer(db, actor, e, "checked_in", now)
    late = bool(row and row.due_at and now > row.due_at)
    return {"department_id": actor.department_id, "late": late}


def _on_urge(db, actor, e, p, now):
    return {}


def _on_merge(db, actor, e, p, now):
    target = get_visible(db, actor, p.get("into") or 0) if p.get("into") else None
    if target is None or target.id == e.id or target.state in (State.merged.value, State.rejected.value):
        raise Invalid("请指定一个有效的、未合并的目标事件", code="invalid_merge_target")
    e.merged_into_id = target.id
    return {"into": target.code}


def _on_note(db, actor, e, p, now):
    return {}


def _on_reject(db, actor, e, p, now):
    return {}


HANDLERS = {
    Action.accept: _on_accept, Action.reject: _on_reject, Action.dispatch: _on_dispatch, Action.sign: _on_sign,
    Action.return_: _on_return, Action.request_extension: _on_request_extension,
    Action.approve_extension: _on_approve_extension, Action.deny_extension: _on_deny_extension,
    Action.handle: _on_handle, Action.verify_pass: _on_verify_pass, Action.verify_fail: _on_verify_fail,
    Action.close: _on_close, Action.evaluate: _on_evaluate, Action.escalate: _on_escalate,
    Action.whistle: _on_whistle, Action.check_in: _on_check_in, Action.urge: _on_urge, Action.merge: _on_merge,
    Action.comment: _on_note,
}


# --- reading --------------------------------------------------------------------------------

def detail(db: Session, actor: User, ref: int | str) -> dict[str, Any]:
    e = get_visible(db, actor, ref)
    out = event_out(e, parties=parties_of(db, actor, e))
    out["timeline"] = timeline(db, e)
    out["assignments"] = [
        {"department_id": a.department_id, "department": name, "kind": a.kind, "status": a.status,
         "due_at": a.due_at, "answered_at": a.answered_at}
        for a, name in db.execute(select(Assignment, Department.name).join(
            Department, Department.id == Assignment.department_id).where(Assignment.event_id == e.id)
            .order_by(Assignment.id))]
    return out


def timeline(db: Session, e: Event) -> list[dict[str, Any]]:
    rows = db.scalars(select(EventLog).where(EventLog.event_id == e.id).order_by(EventLog.id))
    return [log_out(r) for r in rows]


def by_tracking_code(db: Session, code: str) -> Event:
    e = db.scalar(select(Event).where(Event.tracking_code == (code or "").strip().upper()))
    if e is None:
        raise NotFound("查询码不存在，请核对后重试", code="tracking_code_not_found")
    return e


def public_view(db: Session, e: Event) -> dict[str, Any]:
    """What a resident sees by tracking code: the event and its steps, with no staff names."""
    out = event_out(e, public=True)
    out["tracking_code"] = e.tracking_code
    out["steps"] = [{"action": r.action, "action_label": ACTION_LABELS[Action(r.action)], "state": r.to_state,
                     "state_label": STATE_LABELS[State(r.to_state)], "at": r.at,
                     "note": redact(r.note) if r.action in ("handle", "reject", "close", "evaluate") else None}
                    for r in db.scalars(select(EventLog).where(EventLog.event_id == e.id).order_by(EventLog.id))
                    if r.action not in ("comment", "urge", "check_in")]
    if e.merged_into_id:
        target = db.get(Event, e.merged_into_id)
        out["merged_into"] = event_out(target, public=True) if target else None
    return out


def rate_by_tracking_code(db: Session, code: str, rating: str, comment: str | None) -> Event:
    e = by_tracking_code(db, code)
    if e.state == State.merged.value and e.merged_into_id:
        raise Invalid("该事件已并入另一事件办理，请对合并后的事件评价", code="merged_event")
    return act(db, None, e.id, Action.evaluate.value, {"rating": rating, "comment": comment},
               party=Party.reporter)


def working_hours_late(e: Event, now: datetime | None = None) -> timedelta | None:
    now = now or utcnow()
    return now - e.due_at if e.due_at and now > e.due_at else None
