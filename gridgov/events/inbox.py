"""The in-app inbox: who hears about what happened to an event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gridgov.access.models import User, UserScope
from gridgov.access.roles import Role
from gridgov.db import utcnow
from gridgov.errors import NotFound
from gridgov.events.models import Event, Notification
from gridgov.events.workflow import Action

KINDS = {"dispatched": "派遣", "returned": "退单", "urged": "督办", "due_soon": "即将超期", "overdue": "超期",
         "escalated": "上报上级", "whistle": "吹哨", "to_verify": "待核查", "rework": "返工",
         "extension": "延期", "merged": "合并", "notice": "通知"}


def _add(db: Session, user_ids: set[int], kind: str, e: Event | None, title: str, body: str | None = None) -> None:
    for uid in sorted(user_ids):
        db.add(Notification(user_id=uid, kind=kind, event_id=e.id if e else None, title=title, body=body))


def department_users(db: Session, department_ids: list[int]) -> set[int]:
    if not department_ids:
        return set()
    return set(db.scalars(select(User.id).where(User.department_id.in_(department_ids), User.active.is_(True))))


def region_users(db: Session, region_code: str, roles: tuple[Role, ...]) -> set[int]:
    """Active users of these roles whose scope covers ``region_code`` (a scope root is a prefix of it)."""
    rows = db.execute(select(User.id, UserScope.region_code).join(UserScope, UserScope.user_id == User.id)
                      .where(User.role.in_([r.value for r in roles]), User.active.is_(True)))
    return {uid for uid, root in rows if region_code.startswith(root)}


def notify_responsible(db: Session, e: Event, kind: str, title: str) -> None:
    """The people on whose desk the event lies now: the lead department, else the centre."""
    if e.state in ("dispatched", "in_progress") and e.lead_department_id:
        users = department_users(db, [e.lead_department_id])
    elif e.state == "handled":
        users = region_users(db, e.region_code, (Role.grid_worker,))
    else:
        users = region_users(db, e.region_code, (Role.operator,))
    _add(db, users, kind, e, f"{title}：{e.code} {e.title}")


def notify_escalation(db: Session, e: Event) -> None:
    """One level up: leaders and operators whose scope root is strictly above the event's home centre."""
    users = {uid for uid in region_users(db, e.region_code, (Role.leader, Role.operator))}
    _add(db, users, "escalated", e, f"超期上报（第{e.level}级）：{e.code} {e.title}")


def after_action(db: Session, actor: User | None, e: Event, action: Action, data: dict[str, Any]) -> None:
    me = {actor.id} if actor is not None else set()
    if action is Action.dispatch:
        _add(db, department_users(db, [data["department_id"], *data.get("assist_department_ids", [])]) - me,
             "dispatched", e, f"新派遣事件：{e.code} {e.title}")
    elif action is Action.whistle:
        _add(db, department_users(db, data["department_ids"]) - me, "whistle", e,
             f"吹哨报到：{e.code} {e.title}", f"请于 {data['check_in_due']} 前报到")
    elif action is Action.return_:
        _add(db, region_users(db, e.region_code, (Role.operator,)) - me, "returned", e, f"事件被退回：{e.code}")
    elif action is Action.urge:
        _add(db, department_users(db, [e.lead_department_id] if e.lead_department_id else []) - me, "urged", e,
             f"督办：{e.code} {e.title}")
    elif action is Action.handle:
        _add(db, region_users(db, e.region_code, (Role.grid_worker,)) - me, "to_verify", e, f"待核查：{e.code}")
    elif action is Action.verify_fail:
        _add(db, department_users(db, [e.lead_department_id] if e.lead_department_id else []) - me, "rework", e,
             f"核查不通过，请返工：{e.code}")
    elif action is Action.request_extension:
        _add(db, region_users(db, e.region_code, (Role.operator,)) - me, "extension", e, f"延期申请：{e.code}")
    elif action in (Action.approve_extension, Action.deny_extension):
        _add(db, department_users(db, [e.lead_department_id] if e.lead_department_id else []) - me, "extension",
             e, f"延期申请已{'批准' if action is Action.approve_extension else '驳回'}：{e.code}")


def list_inbox(db: Session, user: User, *, unread_only: bool = False, limit: int = 50) -> dict[str, Any]:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    rows = db.scalars(stmt.order_by(Notification.id.desc()).limit(limit))
    unread = db.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0
    return {"unread": unread, "items": [
        {"id": n.id, "kind": n.kind, "kind_label": KINDS.get(n.kind, n.kind), "event_id": n.event_id,
         "title": n.title, "body": n.body, "created_at": n.created_at, "read_at": n.read_at} for n in rows]}


def mark_read(db: Session, user: User, notification_id: int | None = None) -> int:
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        if db.scalar(select(Notification.id).where(Notification.id == notification_id,
                                                  Notification.user_id == user.id)) is None:
            raise NotFound("通知不存在", code="notification_not_found")
        stmt = stmt.where(Notification.id == notification_id)
    return db.execute(stmt.values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
