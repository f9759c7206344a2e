"""Special groups (特殊人群) and visits (走访): who must be visited how often, by whom, and who is
overdue. A visit moves the member's next due date on by the group's interval."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.access.models import User
from gridgov.access.roles import Permission, Role
from gridgov.access.scope import require_visible, scope_clause
from gridgov.access.service import require_permission
from gridgov.errors import Invalid, NotFound
from gridgov.people.groups import GROUPS, mask_attributes, validate_attributes
from gridgov.people.models import Person, SpecialGroupMember, Visit
from gridgov.people.service import get_person, person_out
from gridgov.places.history import record_change

VISIT_METHODS = {"home": "入户走访", "phone": "电话联系", "video": "视频联系", "other": "其他"}


def member_out(m: SpecialGroupMember, person: Person | None = None, today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    out = {"id": m.id, "person_id": m.person_id, "group": m.group, "group_label": GROUPS[m.group].label,
           "attributes": mask_attributes(m.group, json.loads(m.attributes)), "risk_level": m.risk_level,
           "visit_interval_days": m.visit_interval_days, "responsible_user_id": m.responsible_user_id,
           "grid_code": m.grid_code, "last_visit_at": m.last_visit_at, "next_visit_due": m.next_visit_due,
           "overdue_days": max(0, (today - m.next_visit_due).days), "valid_from": m.valid_from, "valid_to": m.valid_to}
    if person is not None:
        out["person"] = person_out(person)
    return out


def enroll(db: Session, actor: User | None, person_id: int, group: str, attributes: dict[str, Any], *,
           risk_level: str = "low", responsible_user_id: int | None = None, interval_days: int | None = None,
           since: date | None = None) -> SpecialGroupMember:
    if actor is not None:
        require_permission(actor, Permission.register_write)
        person = get_person(db, actor, person_id)
    else:
        person = db.get(Person, person_id)
        if person is None:
            raise NotFound("人员不存在", code="person_not_found")
    problems = validate_attributes(group, attributes)
    if problems:
        raise Invalid("；".join(problems), code="invalid_group_attributes", details=problems)
    if risk_level not in ("low", "medium", "high"):
        raise Invalid("风险等级应为 low / medium / high", code="invalid_risk_level")
    if responsible_user_id is not None:
        worker = db.get(User, responsible_user_id)
        if worker is None or worker.role != Role.grid_worker:
            raise Invalid("责任人必须是网格员", code="invalid_responsible")
    since = since or date.today()
    interval = interval_days or GROUPS[group].visit_interval_days
    m = SpecialGroupMember(person_id=person.id, group=group, attributes=json.dumps(attributes, ensure_ascii=False),
                           risk_level=risk_level, visit_interval_days=interval,
                           responsible_user_id=responsible_user_id, grid_code=person.grid_code,
                           next_visit_due=since + timedelta(days=interval), valid_from=since)
    db.add(m)
    db.flush()
    record_change(db, actor, "special_group_member", m.id, "create", None,
                  {"person_id": person.id, "group": group, "risk_level": risk_level}, m.grid_code)
    return m


def list_members(db: Session, actor: User, *, group: str | None = None, overdue_only: bool = False,
                 limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    require_permission(actor, Permission.register_read)
    stmt = (select(SpecialGroupMember, Person).join(Person, Person.id == SpecialGroupMember.person_id)
            .where(SpecialGroupMember.valid_to.is_(None),
                   scope_clause(actor, region_column=SpecialGroupMember.grid_code)))
    if group:
        if group not in GROUPS:
            raise Invalid(f"未知的特殊人群类别：{group}", code="unknown_group")
        stmt = stmt.where(SpecialGroupMember.group == group)
    if overdue_only:
        stmt = stmt.where(SpecialGroupMember.next_visit_due < date.today())
    rows = db.execute(stmt.order_by(SpecialGroupMember.next_visit_due, SpecialGroupMember.id)
                      .limit(limit).offset(offset)).all()
    return [member_out(m, p) for m, p in rows]


def record_visit(db: Session, actor: User, *, person_id: int | None = None, member_id: int | None = None,
                 household_id: int | None = None, method: str = "home", content: str, findings: str | None = None,
                 visited_at: datetime | None = None) -> Visit:
    require_permission(actor, Permission.visits_write)
    if method not in VISIT_METHODS:
        raise Invalid(f"走访方式应为：{'、'.join(VISIT_METHODS)}", code="invalid_method")
    if not (content or "").strip():
        raise Invalid("请填写走访内容", code="content_required")
    visited_at = visited_at or datetime.now(UTC)
    if visited_at.tzinfo is None:
        visited_at = visited_at.replace(tzinfo=UTC)
    if visited_at > datetime.now(UTC) + timedelta(minutes=5):
        raise Invalid("走访时间不能晚于现在", code="visit_in_future")
    member = None
    if member_id is not None:
        member = db.get(SpecialGroupMember, member_id)
        if member is None:
            raise NotFound("特殊人群记录不存在", code="member_not_found")
        person_id = member.person_id
    if person_id is None and household_id is None:
        raise Invalid("请指定走访的人员或户", code="visit_target_required")
    grid_code = None
    if person_id is not None:
        grid_code = get_person(db, actor, person_id).grid_code
    else:
        from gridgov.people.models import Household

        hh = db.get(Household, household_id)
        if hh is None:
            raise NotFound("户不存在", code="household_not_found")
        require_visible(actor, region_code=hh.grid_code, what="该户")
        grid_code = hh.grid_code
    v = Visit(person_id=person_id, household_id=household_id, member_id=member_id, worker_id=actor.id,
              visited_at=visited_at, method=method, content=content.strip(), findings=findings, grid_code=grid_code)
    db.add(v)
    if member is not None and (member.last_visit_at is None or visited_at > member.last_visit_at):
        member.last_visit_at = visited_at
        member.next_visit_due = visited_at.date() + timedelta(days=member.visit_interval_days)
    db.flush()
    record_change(db, actor, "visit", v.id, "create", None,
                  {"person_id": person_id, "member_id": member_id, "method": method}, grid_code)
    return v


def overdue_by_worker(db: Session, actor: User, today: date | None = None) -> list[dict[str, Any]]:
    """Overdue visits grouped per responsible grid worker (feeds the warnings later)."""
    require_permission(actor, Permission.register_read)
    today = today or date.today()
    rows = db.execute(
        select(SpecialGroupMember, User.username, User.display_name)
        .join(User, User.id == SpecialGroupMember.responsible_user_id, isouter=True)
        .where(SpecialGroupMember.valid_to.is_(None), SpecialGroupMember.next_visit_due < today,
               scope_clause(actor, region_column=SpecialGroupMember.grid_code))
        .order_by(SpecialGroupMember.responsible_user_id, SpecialGroupMember.next_visit_due)).all()
    workers: dict[Any, dict[str, Any]] = {}
    for m, username, display in rows:
        w = workers.setdefault(m.responsible_user_id, {
            "worker_id": m.responsible_user_id, "username": username, "display_name": display or "（未指定责任人）",
            "overdue": 0, "max_overdue_days": 0, "members": []})
        days = (today - m.next_visit_due).days
        w["overdue"] += 1
        w["max_overdue_days"] = max(w["max_overdue_days"], days)
        if len(w["members"]) < 50:
            w["members"].append({"member_id": m.id, "person_id": m.person_id, "group": m.group,
                                 "group_label": GROUPS[m.group].label, "overdue_days": days,
                                 "next_visit_due": m.next_visit_due})
    return sorted(workers.values(), key=lambda w: -w["overdue"])
