"""The three-colour rule (pure): the documented table, and monotonicity under hypothesis."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.disputes.colour import (
    CARE_GROUPS,
    FAMILY_FAST_DAYS,
    FAMILY_TYPES,
    FAMILY_WINDOW_DAYS,
    RISK_GROUPS,
    WINDOW_DAYS,
    Colour,
    DisputeType,
    Facts,
    assess,
    repeats_in_window,
)

G, Y, R = Colour.green, Colour.yellow, Colour.red


@pytest.mark.parametrize(
    "facts,colour",
    [
        (Facts(DisputeType.neighbour), G),
        (Facts(DisputeType.expropriation), Y),
        (Facts(DisputeType.labour), Y),
        (Facts(DisputeType.medical), Y),
        (Facts(DisputeType.consumer, severity="high"), Y),
        (Facts(DisputeType.consumer, severity="urgent"), R),
        (Facts(DisputeType.neighbour, threat=True), R),
        (Facts(DisputeType.neighbour, people_involved=4), G),
        (Facts(DisputeType.neighbour, people_involved=5), R),
        (Facts(DisputeType.neighbour, groups=frozenset({"mental_disorder"})), R),
        (Facts(DisputeType.neighbour, groups=frozenset({"elderly_alone"})), Y),
        # repeats: general window 12 months
        (Facts(DisputeType.neighbour, earlier_days=(10,)), Y),
        (Facts(DisputeType.neighbour, earlier_days=(10, 200)), R),
        (Facts(DisputeType.neighbour, earlier_days=(WINDOW_DAYS + 1,)), G),
        (Facts(DisputeType.neighbour, earlier_days=(100, WINDOW_DAYS + 1)), Y),
        # family types: 24 months, and a repeat within 90 days is red at once
        (Facts(DisputeType.family, earlier_days=(FAMILY_FAST_DAYS,)), R),
        (Facts(DisputeType.family, earlier_days=(FAMILY_FAST_DAYS + 1,)), Y),
        (Facts(DisputeType.romance, earlier_days=(500,)), Y),
        (Facts(DisputeType.family, earlier_days=(400, 700)), R),
        (Facts(DisputeType.family, earlier_days=(FAMILY_WINDOW_DAYS + 1,)), G),
        # the course of the case
        (Facts(DisputeType.neighbour, failed_mediations=1), Y),
        (Facts(DisputeType.neighbour, failed_mediations=2), R),
        (Facts(DisputeType.neighbour, relapsed=True), Y),
        (Facts(DisputeType.neighbour, manual=Colour.red), R),
        (Facts(DisputeType.expropriation, manual=Colour.green), Y),  # a manual judgement never lowers
    ],
)
def test_the_documented_table(facts, colour):
    assert assess(facts).colour is colour


def test_reasons_explain_the_colour():
    a = assess(Facts(DisputeType.neighbour, earlier_days=(3,), people_involved=6))
    assert a.colour is R and a.repeats == 1
    assert a.reasons[0].startswith("涉及6人") and "第2次纠纷" in a.reason
    assert assess(Facts(DisputeType.neighbour)).reason == "一般矛盾纠纷"
    assert "12个月内第3次" in assess(Facts(DisputeType.loan, earlier_days=(1, 2))).reason
    assert "24个月内第2次" in assess(Facts(DisputeType.family, earlier_days=(300,))).reason


def test_groups_are_split_into_risk_and_care():
    assert not (RISK_GROUPS & CARE_GROUPS)
    assert (
        "社区矫正对象" in assess(Facts(DisputeType.other, groups=frozenset({"community_correction"}))).reason
    )


facts_st = st.builds(
    Facts,
    type=st.sampled_from(list(DisputeType)),
    severity=st.sampled_from(["low", "normal", "high", "urgent"]),
    threat=st.booleans(),
    people_involved=st.integers(1, 20),
    groups=st.frozensets(st.sampled_from(sorted(RISK_GROUPS | CARE_GROUPS | {"unknown"})), max_size=3),
    earlier_days=st.lists(st.integers(0, 1000), max_size=5).map(tuple),
    failed_mediations=st.integers(0, 3),
    relapsed=st.booleans(),
    manual=st.none() | st.sampled_from(list(Colour)),
)


@given(facts_st, st.lists(st.integers(0, 1000), min_size=1, max_size=4))
def test_more_repeats_never_lower_the_colour(f, more):
    before = assess(f)
    after = assess(replace(f, earlier_days=f.earlier_days + tuple(more)))
    assert after.colour.rank >= before.colour.rank
    assert after.repeats >= before.repeats


@given(facts_st, st.data())
def test_a_more_recent_repeat_never_lowers_the_colour(f, data):
    if not f.earlier_days:
        return
    i = data.draw(st.integers(0, len(f.earlier_days) - 1))
    sooner = data.draw(st.integers(0, f.earlier_days[i]))
    days = list(f.earlier_days)
    days[i] = sooner
    assert assess(replace(f, earlier_days=tuple(days))).colour.rank >= assess(f).colour.rank


@given(facts_st)
def test_every_flag_only_raises(f):
    base = assess(f).colour.rank
    for raised in (
        replace(f, threat=True),
        replace(f, people_involved=f.people_involved + 5),
        replace(f, failed_mediations=f.failed_mediations + 1),
        replace(f, relapsed=True),
        replace(f, groups=f.groups | {"drug_rehab"}),
        replace(f, manual=Colour.red),
    ):
        assert assess(raised).colour.rank >= base
    assert assess(f).colour.rank >= (1 if f.type in (DisputeType.expropriation, DisputeType.labour) else 0)


@given(st.sampled_from(list(DisputeType)), st.lists(st.integers(0, 1000), max_size=6))
def test_repeat_thresholds(t, days):
    n = repeats_in_window(t, days)
    a = assess(Facts(t, earlier_days=tuple(days)))
    assert a.repeats == n
    if n >= 2:
        assert a.colour is R
    elif n == 1:
        assert a.colour.rank >= 1
    if t in FAMILY_TYPES and any(d <= FAMILY_FAST_DAYS for d in days):
        assert a.colour is R
    if n == 0 and t not in (DisputeType.expropriation, DisputeType.labour, DisputeType.medical):
        assert a.colour is G
