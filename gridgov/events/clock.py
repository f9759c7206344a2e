"""Step clocks in working time and the background sweep that warns, marks overdue and escalates.

Each open event carries the deadline of its current step (``due_at``) and the moment to warn
(``warn_at`` = the configured share of the limit). The sweep is safe to run from several workers
at once: a lease row lets one worker sweep at a time, and every flag flips with a conditional
UPDATE (``... WHERE overdue = false``), so a notification or escalation is written only by the
worker whose update changed the row — never twice.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridgov.db import utcnow
from gridgov.events.models import CatalogItem, Event, EventLog, JobLease
from gridgov.events.workflow import STEP_OF_STATE, Action, Party, State
from gridgov.settings import get_settings

SWEEP_JOB = "event_clock"


@lru_cache(maxsize=1)
def calendar():
    from gridgov.events.workcal import WorkCalendar

    s = get_settings()
    return WorkCalendar.from_settings(s.holidays_csv, s.work_hours, s.work_timezone)


def deadline(start: datetime, hours: float, severity: str = "normal") -> datetime:
    """``hours`` after ``start`` on the severity's clock: working time, or round the clock for urgent cases."""
    from gridgov.events.catalog_defaults import severity_clock

    return calendar().add_hours(start, hours, severity_clock(severity))


def limit_hours(item: CatalogItem, severity: str, step: str) -> float | None:
    by_severity = item.limits.get(severity) or item.limits.get("normal") or {}
    value = by_severity.get(step)
    return float(value) if value else None


def start_step(db: Session, e: Event, item: CatalogItem, now: datetime) -> None:
    """Restart the clock for the step of the event's (new) state."""
    step = STEP_OF_STATE.get(State(e.state))
    hours = limit_hours(item, e.severity, step.value) if step else None
    e.step_started_at = now
    e.warned = e.overdue = False
    if hours is None:
        e.due_at = e.warn_at = None
        return
    e.due_at = deadline(now, hours, e.severity)
    e.warn_at = deadline(now, hours * get_settings().event_warn_share, e.severity)
    if step.value == "handle" and e.handle_due_at is None:
        e.handle_due_at = e.due_at


def stop(e: Event) -> None:
    e.due_at = e.warn_at = None
    e.warned = e.overdue = False


def extend(e: Event, hours: float) -> None:
    """An approved extension moves the current deadline and the disposal deadline."""
    base = e.due_at or utcnow()
    e.due_at = deadline(base, hours, e.severity)
    if e.handle_due_at is not None:
        e.handle_due_at = deadline(e.handle_due_at, hours, e.severity)
    e.overdue = False


# --- the sweep --------------------------------------------------------------------------------

def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def take_lease(db: Session, job: str, seconds: int, now: datetime | None = None) -> bool:
    """True if this worker now holds the lease on ``job`` (others' unexpired leases are respected)."""
    now = now or utcnow()
    holder = _holder()
    if db.get(JobLease, job) is None:
        try:
            with db.begin_nested():
                db.add(JobLease(name=job, holder=None, expires_at=None))
                db.flush()
        except Exception:
            pass
    result = db.execute(
        update(JobLease)
        .where(JobLease.name == job,
               (JobLease.expires_at.is_(None)) | (JobLease.expires_at < now) | (JobLease.holder == holder))
        .values(holder=holder, expires_at=now + timedelta(seconds=seconds), last_run_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def sweep(db: Session, now: datetime | None = None, *, batch: int = 1000) -> dict[str, int]:
    """Warn events past their warning point, mark overdue ones and escalate them one level up."""
    from gridgov.access import audit
    from gridgov.events import inbox

    now = now or utcnow()
    counts = {"warned": 0, "overdue": 0, "escalated": 0}
    open_states = [s for s in STEP_OF_STATE]
    warn_ids = list(db.scalars(select(Event.id).where(
        Event.state.in_(open_states), Event.warned.is_(False), Event.warn_at <= now).limit(batch)))
    for event_id in warn_ids:
        if _flip(db, event_id, Event.warned):
            counts["warned"] += 1
            inbox.notify_responsible(db, db.get(Event, event_id), "due_soon", "事件即将超期")
    due_ids = list(db.scalars(select(Event.id).where(
        Event.state.in_(open_states), Event.overdue.is_(False), Event.due_at <= now).limit(batch)))
    for event_id in due_ids:
        if not _flip(db, event_id, Event.overdue, also={"ever_overdue": True, "warned": True}):
            continue
        counts["overdue"] += 1
        e = db.get(Event, event_id)
        db.refresh(e)
        inbox.notify_responsible(db, e, "overdue", "事件已超期")
        db.execute(update(Event).where(Event.id == event_id).values(level=Event.level + 1)
                   .execution_options(synchronize_session=False))
        db.refresh(e)
        entry = audit.record(db, None, "event.escalate", "event", e.id, after={"level": e.level, "reason": "overdue"})
        db.add(EventLog(event_id=e.id, action=Action.escalate.value, from_state=e.state, to_state=e.state,
                        actor_name="系统", party=Party.system.value, note="超期自动上报上一级",
                        data={"level": e.level, "step_due_at": e.due_at.isoformat() if e.due_at else None},
                        audit_seq=entry.seq, at=now))
        inbox.notify_escalation(db, e)
        counts["escalated"] += 1
    db.flush()
    return counts


def _flip(db: Session, event_id: int, flag: Any, also: dict[str, Any] | None = None) -> bool:
    result = db.execute(update(Event).where(Event.id == event_id, flag.is_(False))
                        .values({flag.key: True, **(also or {})}).execution_options(synchronize_session=False))
    return result.rowcount == 1


def run_once(sessionmaker, now: datetime | None = None) -> dict[str, int] | None:
    """One sweep under the lease, in its own transaction; None if another worker holds the lease."""
    with sessionmaker() as db:
        if not take_lease(db, SWEEP_JOB, get_settings().event_sweep_seconds * 3, now):
            db.rollback()
            return None
        counts = sweep(db, now)
        db.commit()
        return counts


def run_forever(sessionmaker, stop) -> None:
    """Sweep every ``event_sweep_seconds`` until ``stop`` (a threading.Event) is set."""
    import logging

    log = logging.getLogger("gridgov.clock")
    while not stop.wait(get_settings().event_sweep_seconds):
        try:
            counts = run_once(sessionmaker)
            if counts and any(counts.values()):
                log.info("event clock: %s", counts)
        except Exception:
            log.exception("event clock sweep failed")
