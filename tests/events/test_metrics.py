"""考核评价 formulas (pure, no database): definitions, division by zero, and properties over any set of
events the workflow can produce — rates stay in [0, 1], counters add up, rates move the right way."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridgov.events import metrics
from gridgov.events.metrics import (
    DEFINITIONS,
    SUBSETS,
    Counters,
    EventFacts,
    classify,
    rates,
    ratio,
    violations,
)
from gridgov.events.workcal import WorkCalendar

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
AS_OF = T0 + timedelta(days=20)
RATE_NAMES = [d.name for d in DEFINITIONS if d.unit == "rate"]


# --- examples ---------------------------------------------------------------------------------


def test_issue_formula_example():
    """The example of docs/evaluation.md."""
    c = Counters(
        reported=40,
        merged=2,
        rejected=1,
        accepted=37,
        dispatched=35,
        handled=30,
        handled_on_time=27,
        reworked=3,
        closed=28,
        due=32,
        deferred=2,
        closed_on_time=24,
        rated=20,
        satisfied=15,
        basic=3,
        unsatisfied=2,
        handle_hours=277.5,
        reviews=6,
        routing_score_sum=27,
        handling_score_sum=25,
        effect_score_sum=24,
    )
    r = rates(c)
    assert r["acceptance_rate"] == round(37 / 38, 4)
    assert r["handling_rate"] == round(30 / 35, 4)
    assert r["on_time_handling_rate"] == 0.9
    assert r["closing_rate"] == round(28 / 37, 4)
    assert r["on_time_closing_rate"] == 0.8  # 24 / (32 − 2)
    assert r["rework_rate"] == 0.1
    assert r["avg_handle_hours"] == 9.25
    assert r["satisfaction_rate"] == 0.9  # (15 + 3) / 20: 基本满意 counts as satisfied
    assert r["dissatisfaction_rate"] == 0.1
    assert (r["avg_routing_score"], r["avg_handling_score"], r["avg_effect_score"]) == (4.5, 4.17, 4.0)
    assert violations(c) == []


def test_nothing_to_divide_by_is_none_not_zero():
    r = rates(Counters())
    assert set(r) == {d.name for d in DEFINITIONS}
    assert all(v is None for v in r.values())
    assert metrics.shown(None) == "—" == metrics.NO_VALUE
    assert metrics.shown(0.875) == "87.5%" and metrics.shown(9.254, "hours") == "9.25"
    assert ratio(0, 3) == 0.0 and ratio(1, 0) is None and ratio(1, -1) is None
    only_rejected = classify(EventFacts(state="rejected"), AS_OF)
    assert rates(only_rejected)["closing_rate"] is None  # 0 / (1 − 1)
    assert rates(only_rejected)["acceptance_rate"] == 0.0  # 0 / 1: a rejected report was not accepted


def test_definitions_are_complete_and_documented():
    names = [d.name for d in DEFINITIONS]
    assert len(names) == len(set(names))
    assert {name for name, _, _ in SUBSETS} <= set(names)
    assert set(RATE_NAMES) == {name for name, _, _ in SUBSETS}
    for d in DEFINITIONS:
        assert d.label and d.numerator and d.denominator and d.numerator_sql and d.denominator_sql
        assert d.unit in ("rate", "hours", "score")
    assert set(metrics.COUNTER_LABELS) <= {f for f in Counters.__dataclass_fields__}


def test_merged_duplicates_leave_acceptance_alone():
    accepted = EventFacts(state="accepted", accepted_at=T0)
    merged = EventFacts(state="merged", accepted_at=T0)  # merged after acceptance
    c = classify(accepted, AS_OF) + classify(merged, AS_OF)
    assert (c.accepted, c.reported, c.merged) == (1, 2, 1)
    assert rates(c)["acceptance_rate"] == 1.0
    assert rates(c)["closing_rate"] == 0.0


def test_deferred_events_are_not_assessed_on_time():
    due = T0 + timedelta(days=3)
    late_extended = EventFacts(
        state="closed",
        accepted_at=T0,
        dispatched_at=T0,
        handled_at=due + timedelta(days=2),
        handled_on_time=True,
        handle_due_at=due,
        closed_at=due + timedelta(days=3),
        extended=True,
    )
    on_time = EventFacts(
        state="closed",
        accepted_at=T0,
        dispatched_at=T0,
        handled_at=due - timedelta(hours=5),
        handled_on_time=True,
        handle_due_at=due,
        closed_at=due - timedelta(hours=1),
    )
    late = EventFacts(
        state="closed",
        accepted_at=T0,
        dispatched_at=T0,
        handled_at=due - timedelta(hours=5),
        handled_on_time=True,
        handle_due_at=due,
        closed_at=due + timedelta(hours=1),
    )
    open_overdue = EventFacts(state="in_progress", accepted_at=T0, dispatched_at=T0, handle_due_at=due)
    open_not_due = EventFacts(
        state="in_progress", accepted_at=T0, dispatched_at=T0, handle_due_at=AS_OF + timedelta(1)
    )
    c = metrics.total(classify(e, AS_OF) for e in (late_extended, on_time, late, open_overdue, open_not_due))
    assert (c.due, c.deferred, c.closed_on_time) == (4, 1, 1)
    assert rates(c)["on_time_closing_rate"] == round(1 / 3, 4)
    assert rates(c)["on_time_handling_rate"] == 1.0  # the late closing was handled on time


def test_self_resolved_counts_as_accepted_and_closed_on_time_not_as_handled():
    e = EventFacts(state="closed", self_resolved=True, handled_at=T0, handled_on_time=True, closed_at=T0)
    c = classify(e, AS_OF)
    assert (c.accepted, c.dispatched, c.handled, c.closed, c.due, c.closed_on_time) == (1, 0, 0, 1, 1, 1)


def test_rework_counts_once_the_handling_stands():
    in_rework = EventFacts(state="in_progress", accepted_at=T0, dispatched_at=T0, rework_count=1)
    reworked = EventFacts(
        state="closed",
        accepted_at=T0,
        dispatched_at=T0,
        handled_at=T0 + timedelta(days=1),
        handled_on_time=True,
        rework_count=2,
        closed_at=T0 + timedelta(days=1),
    )
    c = classify(in_rework, AS_OF) + classify(reworked, AS_OF)
    assert (c.handled, c.reworked) == (1, 1)
    assert rates(c)["rework_rate"] == 1.0 and rates(c)["handling_rate"] == 0.5


def test_handling_hours_are_working_hours():
    cal = WorkCalendar()
    friday_4pm = datetime(2026, 11, 6, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai
    monday_10am = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
    e = EventFacts(
        state="handled",
        accepted_at=friday_4pm,
        dispatched_at=friday_4pm,
        handled_at=monday_10am,
        handled_on_time=True,
    )
    c = classify(e, AS_OF, cal.working_hours_between)
    assert c.handle_hours == 3.0  # 16:00-17:30 on Friday + 08:30-10:00 on Monday
    assert rates(c)["avg_handle_hours"] == 3.0


# --- properties over events the workflow can produce -----------------------------------------


def _at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


@st.composite
def events(draw) -> EventFacts:
    """One event in any state, with the milestones the workflow would have set on the way there."""
    kind = draw(
        st.sampled_from(
            [
                "reported",
                "rejected",
                "merged",
                "self",
                "accepted",
                "closed_direct",
                "returned",
                "dispatched",
                "in_progress",
                "handled",
                "closed",
                "evaluated",
            ]
        )
    )
    overdue = draw(st.booleans())
    if kind == "reported":
        return EventFacts(state="reported", ever_overdue=overdue)
    if kind == "rejected":
        return EventFacts(state="rejected")
    if kind == "merged":
        return EventFacts(state="merged", accepted_at=_at(1) if draw(st.booleans()) else None)
    if kind == "self":
        rating = draw(st.sampled_from([None, "satisfied", "basic", "unsatisfied"]))
        return EventFacts(
            state="evaluated" if rating else "closed",
            self_resolved=True,
            handled_at=_at(0),
            handled_on_time=True,
            closed_at=_at(0),
            rating=rating,
        )
    if kind == "accepted":
        return EventFacts(state="accepted", accepted_at=_at(1), ever_overdue=overdue)
    if kind == "closed_direct":
        rating = draw(st.sampled_from([None, "satisfied", "basic", "unsatisfied"]))
        return EventFacts(
            state="evaluated" if rating else "closed", accepted_at=_at(1), closed_at=_at(2), rating=rating
        )
    dispatched = _at(draw(st.floats(1, 48)))
    if kind == "returned":
        return EventFacts(
            state="returned", accepted_at=_at(1), dispatched_at=dispatched, ever_overdue=overdue
        )
    if kind == "dispatched":
        return EventFacts(
            state="dispatched", accepted_at=_at(1), dispatched_at=dispatched, ever_overdue=overdue
        )
    due = dispatched + timedelta(hours=draw(st.floats(1, 1000)))
    extended = draw(st.booleans())
    rework = draw(st.integers(0, 3))
    if kind == "in_progress":
        return EventFacts(
            state="in_progress",
            accepted_at=_at(1),
            dispatched_at=dispatched,
            handle_due_at=due,
            extended=extended,
            rework_count=rework,
            ever_overdue=overdue,
        )
    handled = dispatched + timedelta(hours=draw(st.floats(0.1, 1000)))
    closed = handled + timedelta(hours=draw(st.floats(0, 100))) if kind != "handled" else None
    rating = draw(st.sampled_from(["satisfied", "basic", "unsatisfied"])) if kind == "evaluated" else None
    return EventFacts(
        state=kind,
        accepted_at=_at(1),
        dispatched_at=dispatched,
        handled_at=handled,
        handled_on_time=handled <= due,
        handle_due_at=due,
        closed_at=closed,
        extended=extended,
        rework_count=rework,
        ever_overdue=overdue,
        rating=rating,
    )


def _fake_hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


def _counters(es: list[EventFacts]) -> Counters:
    return metrics.total(classify(e, AS_OF, _fake_hours) for e in es)


@settings(max_examples=300, deadline=None)
@given(st.lists(events(), max_size=40))
def test_rates_stay_between_zero_and_one(es):
    c = _counters(es)
    assert violations(c) == []
    for name, value in rates(c).items():
        unit = metrics.BY_NAME[name].unit
        if value is None:
            continue
        if unit == "rate":
            assert 0.0 <= value <= 1.0, name
        elif unit == "hours":
            assert value >= 0.0
    assert c.reported == len(es)


@settings(max_examples=200, deadline=None)
@given(st.lists(events(), max_size=30))
def test_undefined_exactly_when_the_denominator_is_zero(es):
    c = _counters(es)
    r = rates(c)
    for name, _, den in SUBSETS:
        assert (r[name] is None) == (metrics._term(c, den) == 0), name


@settings(max_examples=200, deadline=None)
@given(st.lists(events(), max_size=25), st.lists(events(), max_size=25))
def test_counters_add_up(a, b):
    def same(x: Counters, y: Counters) -> bool:
        return replace(x, handle_hours=0) == replace(y, handle_hours=0) and x.handle_hours == pytest.approx(
            y.handle_hours
        )

    assert same(_counters(a) + _counters(b), _counters(a + b))
    assert same(metrics.total([_counters(a), _counters(b)]), _counters(b + a))


@settings(max_examples=300, deadline=None)
@given(st.lists(events(), min_size=1, max_size=30), events())
def test_rates_move_the_right_way(es, extra):
    """An event that meets a rate's condition never lowers it; one that fails it never raises it."""
    before, after = rates(_counters(es)), rates(_counters([*es, extra]))
    x = classify(extra, AS_OF)
    for name, num, den in SUBSETS:
        if before[name] is None or metrics._term(x, den) == 0:
            continue
        if metrics._term(x, num) == metrics._term(x, den):
            assert after[name] >= before[name], name
        else:
            assert after[name] <= before[name], name


@given(st.lists(events(), max_size=20), st.floats(0, 2000))
def test_due_grows_with_time(es, later_hours):
    """As time passes more events fall due; none stops being due."""
    now = metrics.total(classify(e, AS_OF) for e in es)
    later = metrics.total(classify(e, AS_OF + timedelta(hours=later_hours)) for e in es)
    assert later.due >= now.due
    assert later.closed_on_time == now.closed_on_time  # only closed events count, and they are always due


def test_counters_of_a_sql_row():
    c = Counters.of({"reported": 3, "closed": None, "handle_hours": "2.5", "unknown": 7})
    assert (c.reported, c.closed, c.handle_hours) == (3, 0, 2.5)
    assert Counters.of(c.as_dict()) == c


@pytest.mark.parametrize("name", RATE_NAMES)
def test_each_rate_is_one_when_everything_meets_it(name):
    good = EventFacts(
        state="evaluated",
        accepted_at=T0,
        dispatched_at=T0,
        handled_at=_at(2),
        handled_on_time=True,
        handle_due_at=_at(10),
        closed_at=_at(3),
        rating="satisfied",
        rework_count=1,
    )
    value = rates(classify(good, AS_OF))[name]
    assert value == (0.0 if name == "dissatisfaction_rate" else 1.0)
