"""The event centre's queues and event search, always inside the user's visibility."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, true
from sqlalchemy.orm import Session

from gridgov.access.models import User
from gridgov.access.roles import Role
from gridgov.access.scope import subtree_clause
from gridgov.errors import Invalid
from gridgov.events.models import Event
from gridgov.events.parties import visible_clause
from gridgov.events.text_search import TRACKING_CODE, WINDOWS, TextMatch, newest_ids, text_clause
from gridgov.events.workflow import FINAL, State

EVENT_CODE = re.compile(r"SJ\d{8,}", re.IGNORECASE)  # SJ + yyyymmdd + serial (service.create)
OPEN_STATES = tuple(s.value for s in State if s not in FINAL)

QUEUES: dict[str, str] = {
    "to_accept": "待受理",
    "to_dispatch": "待派遣",
    "to_sign": "待签收",
    "in_progress": "处置中",
    "to_verify": "待核查",
    "due_soon": "即将超期",
    "overdue": "已超期",
    "closed": "已结案",
    "mine": "我上报的",
}


def queue_clause(name: str, user: User) -> ColumnElement[bool]:
    mine_dept = Event.lead_department_id == user.department_id if user.role == Role.handler else None
    if name == "to_accept":
        return Event.state == State.reported.value
    if name == "to_dispatch":
        return Event.state.in_((State.accepted.value, State.returned.value))
    if name == "to_sign":
        cond = Event.state == State.dispatched.value
        return and_(cond, mine_dept) if mine_dept is not None else cond
    if name == "in_progress":
        cond = Event.state == State.in_progress.value
        return and_(cond, mine_dept) if mine_dept is not None else cond
    if name == "to_verify":
        return Event.state == State.handled.value
    if name == "due_soon":
        return and_(Event.state.in_(OPEN_STATES), Event.warned.is_(True), Event.overdue.is_(False))
    if name == "overdue":
        return and_(Event.state.in_(OPEN_STATES), Event.overdue.is_(True))
    if name == "closed":
        return Event.state.in_((State.closed.value, State.evaluated.value))
    if name == "mine":
        return Event.reporter_user_id == user.id
    raise Invalid(f"未知的队列：{name}；可选：{', '.join(QUEUES)}", code="unknown_queue")


def search(db: Session, user: User, *, queue: str | None = None, state: str | None = None,
           item_code: str | None = None, category_code: str | None = None, channel: str | None = None,
           region: str | None = None, q: str | None = None, since: datetime | None = None,
           until: datetime | None = None, before_id: int | None = None, limit: int = 50,
           severity: str | None = None) -> dict[str, Any]:
    """Newest first, keyset-paginated by id (``before_id`` = the last id of the previous page)."""
    from gridgov.events.service import event_out

    conds: list[ColumnElement[bool]] = [_visible(queue, user)]
    match: TextMatch | None = None  # a text search, and how to read it (gridgov.events.text_search)
    if queue:
        conds.append(queue_clause(queue, user))
    if state:
        states = [s for s in state.split(",") if s]
        unknown = [s for s in states if s not in State.__members__]
        if unknown:
            raise Invalid(f"未知的状态：{', '.join(unknown)}", code="unknown_state")
        conds.append(Event.state.in_(states))
    if item_code:
        conds.append(Event.item_code == item_code)
    if category_code:
        conds.append(Event.category_code == category_code)
    if channel:
        conds.append(Event.channel == channel)
    if severity:
        conds.append(Event.severity == severity)
    if region:
        conds.append(subtree_clause(Event.region_code, region))  # a range: it combines with the id order
    if since:
        conds.append(Event.created_at >= since)
    if until:
        conds.append(Event.created_at < until)
    if q:
        q = q.strip()
        if EVENT_CODE.fullmatch(q) or q.isdigit():  # a tracking code may start with SJ too
            exact = [Event.code == q.upper(), Event.external_id == q]
            if TRACKING_CODE.fullmatch(q):  # SJ23456789 could be either
                exact.append(Event.tracking_code == q.upper())
            conds.append(or_(*exact))
        else:
            # a grid worker sees one grid: its events are read by region and filtered, rather than walk
            # back through the whole city for a word that may not be in the grid at all
            match = text_clause(db, q, one_grid=user.role == Role.grid_worker)
    if (match is None and (region or user.role == Role.grid_worker) and not (since or until)
            and db.get_bind().dialect.name == "postgresql"):
        # a region's (or one grid's) newest events: windows of ids, not a sort of all of them (a date
        # range is left to the planner: its events may lie anywhere in the ids, the date index finds them)
        match = WINDOWS
    if before_id:
        conds.append(Event.id < before_id)
    if match is None or match.plan is None:  # the planner's own way: one query
        if match is not None:
            conds.append(match.clause)
        rows = list(db.scalars(select(Event).where(*conds).order_by(Event.id.desc()).limit(limit)))
        resume = None
    else:  # the ids the plan's way, then their rows
        page = newest_ids(db, conds, match, limit, before_id)
        ids, resume = page.ids, page.resume_below
        rows = list(db.scalars(select(Event).where(Event.id.in_(ids)).order_by(Event.id.desc()))) if ids else []
    # a short page may still have a next one: a short word's scan stops (gridgov.events.text_search)
    return {"items": [event_out(e) for e in rows], "next_before_id": rows[-1].id if len(rows) == limit else resume}


#: badge counts stop here: a count of ``COUNT_CAP`` means "that many or more" (shown as 999+). A queue of
#: thousands calls for a filter, not an exact number, and a capped count reads at most this many index
#: entries, so the badges stay fast at millions of events (the full count of 已结案 at 10M events took 9 s)
COUNT_CAP = 1000


def _visible(queue: str | None, user: User) -> ColumnElement[bool]:
    """The visibility filter: one's own reports (``mine``) are always visible, so they need none — and
    without the OR the planner walks the reporter's own index newest first."""
    return true() if queue == "mine" else visible_clause(user)


def counts(db: Session, user: User, cap: int = COUNT_CAP) -> dict[str, int]:
    """How many events wait in each queue (the badges of the event centre), each at most ``cap``."""
    out = {}
    for name in QUEUES:
        first = select(literal(1)).select_from(Event).where(_visible(name, user), queue_clause(name, user)).limit(cap)
        out[name] = db.scalar(select(func.count()).select_from(first.subquery())) or 0
    return out
