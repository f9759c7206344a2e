"""Who the acting user is to an event (centre, lead department, summoned department, grid worker,
leader, reporter) and which events a user may see. Role and scope rules come from
:mod:`gridgov.access.scope`; this module only adds the event's own links (lead department,
assignments, reporter).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, false, or_, select
from sqlalchemy.orm import Session

from gridgov.access.models import User
from gridgov.access.roles import Role
from gridgov.access.scope import scope_clause, scope_of
from gridgov.errors import NotFound
from gridgov.events.models import Assignment, Event
from gridgov.events.workflow import Party


def parties_of(db: Session, user: User | None, event: Event) -> set[Party]:
    if user is None:
        return set()
    role = Role(user.role)
    scope = scope_of(user)
    covers = scope.covers_region(event.region_code)
    out: set[Party] = set()
    if event.reporter_user_id is not None and event.reporter_user_id == user.id:
        out.add(Party.reporter)
    if role in (Role.admin, Role.operator) and covers:
        out.add(Party.centre)
    elif role is Role.leader and covers:
        out.add(Party.leader)
    elif role is Role.grid_worker and covers:
        out.add(Party.grid)
    elif role is Role.handler and user.department_id is not None:
        if event.lead_department_id == user.department_id and event.state != "returned":
            out.add(Party.department)
        summoned = db.scalar(select(Assignment.id).where(
            Assignment.event_id == event.id, Assignment.department_id == user.department_id,
            Assignment.kind.in_(("whistle", "assist"))))
        if summoned is not None:
            out.add(Party.summoned)
    return out


def visible_clause(user: User | None) -> ColumnElement[bool]:
    """Events a user may see: centre, leaders and grid workers their region subtree; a department's
    handlers only the events their department leads or was summoned to (not every event in the region
    the department serves: those carry residents' reports that are none of the department's business);
    everyone their own reports."""
    if user is not None and user.role == Role.handler:
        terms: list[ColumnElement[bool]] = [false()]
        if user.department_id is not None:
            # EXISTS, not IN (SELECT …): at millions of events PostgreSQL cannot hash a department's many
            # assignments inside the OR and plans a scan per row (seconds); EXISTS probes the unique index
            terms += [Event.lead_department_id == user.department_id,
                      exists().where(Assignment.event_id == Event.id, Assignment.department_id == user.department_id)]
    else:
        terms = [scope_clause(user, region_column=Event.region_code, department_column=Event.lead_department_id)]
    if user is not None:
        terms.append(Event.reporter_user_id == user.id)
    return or_(*terms)


def get_visible(db: Session, user: User | None, event_ref: int | str) -> Event:
    """One event by id or code, if the user may see it (404 otherwise: we do not confirm it exists)."""
    if isinstance(event_ref, int) or str(event_ref).isdigit():
        if int(event_ref) > 2**31 - 1:
            raise NotFound("事件不存在或不在您的权限范围内", code="event_not_found")
        cond = Event.id == int(event_ref)
    else:
        cond = Event.code == str(event_ref)
    event = db.scalar(select(Event).where(cond, visible_clause(user)))
    if event is None:
        raise NotFound("事件不存在或不在您的权限范围内", code="event_not_found")
    return event
