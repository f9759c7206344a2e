"""The mediation record of a dispute: sessions, agreements, referrals and follow-up visits.

Each write checks that the actor is staff working on the dispute's event (centre, grid worker, the
lead or a summoned department), moves the dispute's status, re-assesses the colour where a fact of
the rule changed (a failed session, a relapse), and is audited in the same transaction.

Status moves: a session ``success`` → resolved, ``failed`` → failed, ``partial``/``continued`` →
mediating; an agreement → mediating, or resolved once performed; a referral → referred, and its
result ``resolved`` → resolved, ``unresolved`` → failed; an unstable follow-up on a resolved dispute
→ mediating again (矛盾反弹). Resolved disputes take no more sessions, agreements or referrals.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import Department, User
from gridgov.db import utcnow
from gridgov.disputes.models import Agreement, Dispute, FollowUp, MediationSession, Referral
from gridgov.disputes.service import (
    REFERRAL_KINDS,
    SESSION_RESULTS,
    get_dispute,
    is_id,
    local_today,
    reassess,
)
from gridgov.errors import Conflict, Forbidden, Invalid, NotFound
from gridgov.events.models import Event
from gridgov.events.parties import parties_of
from gridgov.events.workflow import Party, State
from gridgov.settings import get_settings

#: parties of the event who may record mediation (leaders read; residents see only their reports)
STAFF = frozenset({Party.centre, Party.grid, Party.department, Party.summoned})
#: how far before the registration a session, agreement or visit may be dated (先调后录)
BACKDATE_DAYS = 30


def _check_date(d: date, registered: datetime | None, what: str) -> None:
    if d > local_today():
        raise Invalid(f"{what}不能晚于今天", code="date_in_future", details={"date": d.isoformat()})
    if registered is not None:
        first = registered.astimezone(ZoneInfo(get_settings().work_timezone)).date() - timedelta(
            days=BACKDATE_DAYS
        )
        if d < first:
            raise Invalid(
                f"{what}不能早于纠纷登记日{BACKDATE_DAYS}天以上",
                code="date_too_early",
                details={"date": d.isoformat(), "earliest": first.isoformat()},
            )


def _writable(db: Session, actor: User, dispute_id: int, *, open_only: bool = True) -> tuple[Dispute, Event]:
    d, e = get_dispute(db, actor, dispute_id)
    if not parties_of(db, actor, e) & STAFF:
        raise Forbidden("您不能登记该纠纷的调处信息", code="permission_denied")
    if e.state in (State.rejected.value, State.merged.value):
        raise Conflict(
            f"该纠纷的事件已{'不予受理' if e.state == 'rejected' else '合并'}，不能再登记调处信息",
            code="event_closed_out",
            details={"event_state": e.state},
        )
    if open_only and d.status == "resolved":
        raise Conflict("该纠纷已化解；如有反弹请登记回访", code="dispute_resolved")
    return d, e


def _touch(db: Session, actor: User, d: Dispute, action: str, object_id: int, after: dict[str, Any]) -> None:
    d.updated_at = utcnow()
    audit.record(
        db,
        actor,
        f"dispute.{action}",
        "dispute",
        d.id,
        after=after,
        detail={"record_id": object_id, "status": d.status, "colour": d.colour},
    )
    db.flush()


def _resolve(d: Dispute, how: str) -> None:
    if d.status != "resolved":
        d.status, d.resolution, d.resolved_at = "resolved", how, utcnow()


def add_session(db: Session, actor: User, dispute_id: int, data: dict[str, Any]) -> Dispute:
    d, e = _writable(db, actor, dispute_id)
    _check_date(data["held_on"], d.created_at, "调解日期")
    result = data.get("result")
    if result not in SESSION_RESULTS:
        raise Invalid(f"调解结果无效：{result}", code="invalid_result")
    mediator_id, mediator_name = data.get("mediator_user_id"), (data.get("mediator_name") or "").strip()
    if mediator_id is not None:
        user = db.get(User, mediator_id) if is_id(mediator_id) else None
        if user is None:
            raise Invalid(f"调解员用户 {mediator_id} 不存在", code="unknown_mediator")
        mediator_name = mediator_name or user.display_name or user.username
    elif not mediator_name:
        mediator_id, mediator_name = actor.id, actor.display_name or actor.username
    row = MediationSession(
        dispute_id=d.id,
        mediator_user_id=mediator_id,
        mediator_name=mediator_name[:100],
        held_on=data["held_on"],
        place=data.get("place"),
        result=result,
        notes=data.get("notes"),
        created_by=actor.id,
    )
    db.add(row)
    db.flush()
    if result == "success":
        _resolve(d, "mediation")
    elif result == "failed":
        d.status = "failed"
    else:
        d.status = "mediating"
    reassess(db, d, e)
    _touch(
        db, actor, d, "session", row.id, {"held_on": row.held_on, "result": result, "mediator": mediator_name}
    )
    return d


def add_agreement(db: Session, actor: User, dispute_id: int, data: dict[str, Any]) -> Dispute:
    d, e = _writable(db, actor, dispute_id)
    _check_date(data["signed_on"], d.created_at, "协议签订日期")
    performed = bool(data.get("performed"))
    performed_on = data.get("performed_on") or (local_today() if performed else None)
    if performed_on is not None:
        if not performed:
            raise Invalid("未履行的协议不能填写履行日期", code="invalid_agreement")
        _check_performed(data["signed_on"], performed_on)
    row = Agreement(
        dispute_id=d.id,
        signed_on=data["signed_on"],
        content=data["content"],
        performed=performed,
        performed_on=performed_on,
        created_by=actor.id,
    )
    db.add(row)
    db.flush()
    if performed:
        _resolve(d, "agreement")
    elif d.status in ("registered", "failed"):
        d.status = "mediating"
    _touch(db, actor, d, "agreement", row.id, {"signed_on": row.signed_on, "performed": performed})
    return d


def _check_performed(signed_on: date, performed_on: date) -> None:
    if performed_on > local_today():
        raise Invalid("履行日期不能晚于今天", code="date_in_future")
    if performed_on < signed_on:
        raise Invalid("履行日期不能早于协议签订日期", code="invalid_agreement")


def agreement_performed(
    db: Session, actor: User, dispute_id: int, agreement_id: int, data: dict[str, Any]
) -> Dispute:
    d, e = _writable(db, actor, dispute_id, open_only=False)
    row = db.get(Agreement, agreement_id) if is_id(agreement_id) else None
    if row is None or row.dispute_id != d.id:
        raise NotFound("协议不存在", code="agreement_not_found")
    if row.performed:
        raise Conflict("该协议已登记为履行", code="already_performed")
    performed_on = data.get("performed_on") or local_today()
    _check_performed(row.signed_on, performed_on)
    row.performed, row.performed_on = True, performed_on
    _resolve(d, "agreement")
    _touch(
        db,
        actor,
        d,
        "agreement_performed",
        row.id,
        {"performed_on": row.performed_on, "note": data.get("note")},
    )
    return d


def add_referral(db: Session, actor: User, dispute_id: int, data: dict[str, Any]) -> Dispute:
    d, e = _writable(db, actor, dispute_id)
    kind = data.get("to_kind")
    if kind not in REFERRAL_KINDS:
        raise Invalid(f"移交去向无效：{kind}", code="invalid_referral")
    dept_id = data.get("to_department_id")
    if dept_id is not None and (not is_id(dept_id) or db.get(Department, dept_id) is None):
        raise Invalid(f"部门 {dept_id} 不存在", code="unknown_department")
    if kind == "other" and not (data.get("to_name") or dept_id):
        raise Invalid("移交“其他”去向时须填写接收单位", code="invalid_referral")
    row = Referral(
        dispute_id=d.id,
        to_kind=kind,
        to_department_id=dept_id,
        to_name=data.get("to_name"),
        note=data.get("note"),
        referred_at=utcnow(),
        result="pending",
        created_by=actor.id,
    )
    db.add(row)
    db.flush()
    d.status = "referred"
    _touch(db, actor, d, "referral", row.id, {"to_kind": kind, "to_department_id": dept_id})
    return d


def referral_result(
    db: Session, actor: User, dispute_id: int, referral_id: int, data: dict[str, Any]
) -> Dispute:
    d, e = _writable(db, actor, dispute_id, open_only=False)
    row = db.get(Referral, referral_id) if is_id(referral_id) else None
    if row is None or row.dispute_id != d.id:
        raise NotFound("移交记录不存在", code="referral_not_found")
    if row.result != "pending":
        raise Conflict("该移交已登记结果", code="referral_answered")
    result = data.get("result")
    if result not in ("resolved", "unresolved"):
        raise Invalid("移交结果须为 resolved 或 unresolved", code="invalid_result")
    row.result, row.result_note, row.result_at = result, data.get("note"), utcnow()
    if result == "resolved":
        _resolve(d, "referral")
    elif d.status == "referred":
        d.status = "failed"
    _touch(db, actor, d, "referral_result", row.id, {"result": result, "note": data.get("note")})
    return d


def add_follow_up(db: Session, actor: User, dispute_id: int, data: dict[str, Any]) -> Dispute:
    d, e = _writable(db, actor, dispute_id, open_only=False)
    _check_date(data["visited_on"], d.created_at, "回访日期")
    stable = bool(data.get("stable"))
    row = FollowUp(
        dispute_id=d.id,
        visited_on=data["visited_on"],
        by_user_id=actor.id,
        notes=data["notes"],
        stable=stable,
    )
    db.add(row)
    db.flush()
    if not stable and d.status == "resolved":  # 矛盾反弹: back to mediation, at least yellow
        d.status, d.resolution, d.resolved_at, d.relapsed = "mediating", None, None, True
        reassess(db, d, e)
    _touch(db, actor, d, "follow_up", row.id, {"visited_on": row.visited_on, "stable": stable})
    return d
