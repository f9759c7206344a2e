"""The demo's event history: any number of events, written in chunks, ids in time order."""

from __future__ import annotations

from sqlalchemy import func, select

import gridgov.demo.events as demo_events
from gridgov.db import get_engine, session_scope
from gridgov.demo.loader import load_demo
from gridgov.events.models import Event, EventLog


def test_a_history_of_any_size_is_written_in_chunks_in_time_order(empty_db, monkeypatch):
    monkeypatch.setattr(demo_events, "CHUNK", 200)  # 450 events: chunks of 200, 200 and 50
    steps: list[tuple[str, int, int]] = []
    with session_scope(get_engine(empty_db)) as db:
        ctx = load_demo(db, "tiny", seed=3, events=450, progress=lambda stage, done, total: steps.append(
            (stage, done, total)))
    assert ctx.register["events"] == 450
    assert ("写入事件（分块）", 450, 450) in steps  # the progress bar follows the chunks
    with session_scope(get_engine(empty_db)) as db:
        rows = db.execute(select(Event.id, Event.created_at, Event.tracking_code, Event.code, Event.state)
                          .order_by(Event.id)).all()
        first_logs = dict(db.execute(select(EventLog.event_id, func.min(EventLog.id)).group_by(EventLog.event_id)).all())
        first_actions = {e: a for e, a in db.execute(select(EventLog.event_id, EventLog.action)
                                                      .where(EventLog.id.in_(list(first_logs.values())))).all()}
    assert len(rows) == 450
    created = [r.created_at for r in rows]
    assert created == sorted(created)  # newest first by id is newest first by time, across chunks
    codes = [r.tracking_code for r in rows]
    assert len(set(codes)) == 450 and all(len(c) == 10 for c in codes)
    assert {c[:2] for c in codes[:200]} == {demo_events.chunk_prefix(0, 3)}
    assert {c[:2] for c in codes[400:]} == {demo_events.chunk_prefix(2, 3)}
    assert len({r.code for r in rows}) == 450 and all(r.code.endswith(f"{r.id:07d}") for r in rows)
    assert set(first_actions) == {r.id for r in rows}
    assert set(first_actions.values()) <= {"report", "self_resolve"}
    states = {r.state for r in rows}
    assert {"closed", "evaluated"} & states and states - {"closed", "evaluated", "rejected", "merged"}


def test_one_chunk_keeps_the_plain_tracking_codes():
    assert demo_events.chunk_prefix(0, 1) == ""
    assert demo_events.chunk_prefix(33, 40) == "BB"
