"""The transition table (pure): every rule reachable, nothing leaves a final state but evaluate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.events.workflow import (
    FINAL,
    RULES,
    STEP_OF_STATE,
    TABLE,
    Action,
    Party,
    State,
    TransitionError,
    available,
    plan,
)


def test_the_happy_path_of_the_closed_loop():
    s = State.reported
    for action, party, note in [
        (Action.accept, Party.centre, None),
        (Action.dispatch, Party.centre, None),
        (Action.sign, Party.department, None),
        (Action.handle, Party.department, "已清理"),
        (Action.verify_pass, Party.grid, None),
        (Action.evaluate, Party.reporter, None),
    ]:
        s = plan(s, action, {party}, note)
    assert s is State.evaluated


def test_rework_returns_to_in_progress():
    assert plan(State.handled, Action.verify_fail, {Party.grid}, "未清理干净") is State.in_progress


def test_closing_an_undispatched_event_is_refused():
    with pytest.raises(TransitionError) as err:
        plan(State.reported, Action.close, {Party.centre}, "结案")
    assert err.value.code == "invalid_transition"


def test_wrong_party_and_missing_note():
    with pytest.raises(TransitionError) as err:
        plan(State.dispatched, Action.sign, {Party.grid})
    assert err.value.code == "not_your_step"
    with pytest.raises(TransitionError) as err:
        plan(State.reported, Action.reject, {Party.centre}, "  ")
    assert err.value.code == "note_required"
    with pytest.raises(TransitionError) as err:
        plan(State.reported, "fly", {Party.centre})
    assert err.value.code == "unknown_action"


def test_every_open_state_has_a_clock_and_a_way_forward():
    for state in State:
        if state in FINAL:
            assert state not in STEP_OF_STATE
        else:
            assert state in STEP_OF_STATE
            assert any(r.target not in (None, state) for r in RULES if state in r.sources)


def test_one_rule_per_action():
    assert len(TABLE) == len(RULES)


@given(st.sampled_from(list(State)), st.sampled_from([a for a in Action if a in TABLE]),
       st.sets(st.sampled_from(list(Party)), min_size=1), st.text(max_size=5))
def test_plan_agrees_with_available(state, action, parties, note):
    offered = action in available(state, parties)
    try:
        target = plan(state, action, parties, note or None)
    except TransitionError as exc:
        assert (not offered) or exc.code == "note_required"
        return
    assert offered
    rule = TABLE[action]
    assert target == (rule.target or state)
    if state in FINAL and state is not State.closed:
        assert action is Action.comment
