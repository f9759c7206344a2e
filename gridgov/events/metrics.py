"""考核评价: the performance indicators of the closed loop, as pure arithmetic over counters.

Pure module (no database import). The database side (:mod:`gridgov.events.metrics_service`)
counts, for each group (a department, a region, a grid worker, a period), how many events of the
*cohort* — the events reported in the chosen date range, inside the user's scope — meet each
condition below, with one SQL ``GROUP BY``; this module turns those counters into rates. The same
conditions are written once more, event by event, in :func:`classify`, which the tests and the
benchmark's baseline use to check the SQL.

Every count is taken *as of* the moment of the query (``as_of``): an event reported last month and
closed this morning counts as closed.

Per-event conditions (an event is counted at most once in each counter)
-----------------------------------------------------------------------
=================  ====================================================================================
reported           every event of the cohort (上报数)
merged             state = merged (合并的重复事件)
rejected           state = rejected (不予受理)
self_resolved      the grid worker resolved it on the spot (自处置)
accepted           not merged, and accepted by the centre (accepted_at set) or self-resolved (受理数)
dispatched         dispatched_at set: sent to a department, by dispatch or whistle (派遣数)
handled            dispatched, and handled_at set: the department reported it handled and the handling
                   stands (a failed verification clears handled_at until the next handling) (处置数)
handled_on_time    handled, and handled_on_time is true: handled_at ≤ handle_due_at at the last
                   handling (按期处置数)
reworked           handled, and rework_count > 0: failed verification at least once (返工数)
closed             closed_at set: states closed or evaluated, self-resolved included (结案数)
due                not merged or rejected, and either closed, or its closing deadline has passed:
                   handle_due_at ≤ as_of (应结案数)
deferred           due, and extended: an extension was approved (延期数)
closed_on_time     due, not extended, closed, and closed_at ≤ handle_due_at (or the event had no
                   disposal deadline: self-resolved, or closed by the centre without dispatch) (按期结案数)
ever_overdue       some step of it ran past its time limit (超期数)
rated / satisfied / basic / unsatisfied
                   the resident's rating (评价数 / 满意 / 基本满意 / 不满意)
=================  ====================================================================================

The **closing deadline** is ``handle_due_at``: the disposal deadline set when the department's
handling step starts (moved by approved extensions). Verification happens inside it: a case is
closed on time only if it is verified and closed by the time the department had to finish.

Rates (a denominator of zero gives ``None``, shown as “—”, never 0)
-----------------------------------------------------------------
See :data:`DEFINITIONS` (and ``docs/evaluation.md``): 受理率, 处置率, 按期处置率, 结案率, 按期结案率,
返工率, 满意率, 不满意率; plus 平均处置时长 (mean working hours from dispatch to handling, on the
working-time calendar) and the averages of the departments' reverse-evaluation scores (1–5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

#: Shown wherever a rate has no denominator.
NO_VALUE = "—"
RATE_DIGITS = 4
HOURS_DIGITS = 2


@dataclass(frozen=True, slots=True)
class Counters:
    """What one group's events add up to. Additive: the counters of a union are the sums."""

    reported: int = 0
    merged: int = 0
    rejected: int = 0
    self_resolved: int = 0
    accepted: int = 0
    dispatched: int = 0
    handled: int = 0
    handled_on_time: int = 0
    reworked: int = 0
    closed: int = 0
    due: int = 0
    deferred: int = 0
    closed_on_time: int = 0
    ever_overdue: int = 0
    rated: int = 0
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    #: working hours from dispatch to handling, summed over the handled events
    handle_hours: float = 0.0
    #: reverse evaluation (department reviews): how many, and the sums of each score (1-5)
    reviews: int = 0
    routing_score_sum: int = 0
    handling_score_sum: int = 0
    effect_score_sum: int = 0

    def __add__(self, other: Counters) -> Counters:
        if not isinstance(other, Counters):
            return NotImplemented
        return Counters(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(Counters)})

    @classmethod
    def of(cls, values: dict[str, Any]) -> Counters:
        """From a mapping (e.g. a SQL row); missing or NULL counters are 0."""
        out: dict[str, Any] = {}
        for f in fields(cls):
            v = values.get(f.name)
            out[f.name] = float(v or 0) if f.name == "handle_hours" else int(v or 0)
        return cls(**out)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(Counters)}


def total(items: Iterable[Counters]) -> Counters:
    out = Counters()
    for c in items:
        out = out + c
    return out


def ratio(numerator: float, denominator: float, digits: int = RATE_DIGITS) -> float | None:
    """``numerator / denominator`` rounded, or None when there is nothing to divide by."""
    if denominator <= 0:
        return None
    return round(numerator / denominator, digits)


@dataclass(frozen=True, slots=True)
class Definition:
    """One indicator: its name, its Chinese label and how it is computed, in words and in SQL terms."""

    name: str
    label: str
    numerator: str
    denominator: str
    numerator_sql: str
    denominator_sql: str
    compute: Callable[[Counters], float | None]
    unit: str = "rate"  # rate (0-1, shown as %) | hours | score
    note: str = ""


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "acceptance_rate",
        "受理率",
        "受理数（中心已受理或网格员自处置，不含被合并的重复事件）",
        "上报数 − 合并数",
        "accepted_at IS NOT NULL OR self_resolved（且 state <> 'merged'）",
        "COUNT(*) − COUNT(state = 'merged')",
        lambda c: ratio(c.accepted, c.reported - c.merged),
        note="被合并的重复事件既不计入分子也不计入分母",
    ),
    Definition(
        "handling_rate",
        "处置率",
        "处置数（已派遣且部门已处置反馈、核查未退回）",
        "派遣数",
        "dispatched_at IS NOT NULL AND handled_at IS NOT NULL",
        "dispatched_at IS NOT NULL",
        lambda c: ratio(c.handled, c.dispatched),
        note="核查不通过的事件在重新处置前不计为已处置；自处置事件未派遣，不计入",
    ),
    Definition(
        "on_time_handling_rate",
        "按期处置率",
        "按期处置数（最后一次处置反馈不晚于处置时限）",
        "处置数",
        "处置数中 handled_on_time = true（handled_at ≤ handle_due_at）",
        "处置数",
        lambda c: ratio(c.handled_on_time, c.handled),
    ),
    Definition(
        "closing_rate",
        "结案率",
        "结案数（已结案或已评价，含自处置）",
        "上报数 − 不予受理数 − 合并数",
        "closed_at IS NOT NULL",
        "COUNT(*) − COUNT(state = 'rejected') − COUNT(state = 'merged')",
        lambda c: ratio(c.closed, c.reported - c.rejected - c.merged),
    ),
    Definition(
        "on_time_closing_rate",
        "按期结案率",
        "按期结案数（应结案、未延期，且结案时间不晚于处置时限）",
        "应结案数 − 延期数",
        "应结案 AND NOT extended AND closed_at IS NOT NULL AND (handle_due_at IS NULL OR closed_at ≤ handle_due_at)",
        "应结案：state NOT IN ('merged','rejected') AND (closed_at IS NOT NULL OR handle_due_at ≤ 统计时点)；"
        "延期：应结案 AND extended",
        lambda c: ratio(c.closed_on_time, c.due - c.deferred),
        note="结案时限取处置时限 handle_due_at；批准延期的事件不参与考核（分子分母均不计）",
    ),
    Definition(
        "rework_rate",
        "返工率",
        "返工数（处置数中核查不通过至少一次的）",
        "处置数",
        "处置数中 rework_count > 0",
        "处置数",
        lambda c: ratio(c.reworked, c.handled),
    ),
    Definition(
        "avg_handle_hours",
        "平均处置时长",
        "处置数中每件从派遣到处置反馈的工作时长之和（小时）",
        "处置数",
        "SUM(working_hours(dispatched_at, handled_at))",
        "处置数",
        lambda c: ratio(c.handle_hours, c.handled, HOURS_DIGITS),
        unit="hours",
        note="按工作日历计算（节假日、调休、办公时间），单位：工作小时",
    ),
    Definition(
        "satisfaction_rate",
        "满意率",
        "满意数 + 基本满意数",
        "评价数",
        "rating IN ('satisfied','basic')",
        "rating IS NOT NULL",
        lambda c: ratio(c.satisfied + c.basic, c.rated),
        note="“基本满意”计为满意",
    ),
    Definition(
        "dissatisfaction_rate",
        "不满意率",
        "不满意数",
        "评价数",
        "rating = 'unsatisfied'",
        "rating IS NOT NULL",
        lambda c: ratio(c.unsatisfied, c.rated),
    ),
    Definition(
        "avg_routing_score",
        "分流评分",
        "网格员/中心对部门“分流”（派遣准确）评分之和",
        "部门评价数",
        "SUM(department_reviews.routing_score)",
        "COUNT(department_reviews.*)",
        lambda c: ratio(c.routing_score_sum, c.reviews, HOURS_DIGITS),
        unit="score",
        note="1–5 分，取平均",
    ),
    Definition(
        "avg_handling_score",
        "办理评分",
        "对部门“办理”（态度、及时）评分之和",
        "部门评价数",
        "SUM(department_reviews.handling_score)",
        "COUNT(department_reviews.*)",
        lambda c: ratio(c.handling_score_sum, c.reviews, HOURS_DIGITS),
        unit="score",
        note="1–5 分，取平均",
    ),
    Definition(
        "avg_effect_score",
        "效果评分",
        "对部门“效果”（问题是否真正解决）评分之和",
        "部门评价数",
        "SUM(department_reviews.effect_score)",
        "COUNT(department_reviews.*)",
        lambda c: ratio(c.effect_score_sum, c.reviews, HOURS_DIGITS),
        unit="score",
        note="1–5 分，取平均",
    ),
)

BY_NAME: dict[str, Definition] = {d.name: d for d in DEFINITIONS}

#: Chinese labels of the counters (headers of the export, the formula sheet).
COUNTER_LABELS: dict[str, str] = {
    "reported": "上报数",
    "merged": "合并数",
    "rejected": "不予受理数",
    "self_resolved": "自处置数",
    "accepted": "受理数",
    "dispatched": "派遣数",
    "handled": "处置数",
    "handled_on_time": "按期处置数",
    "reworked": "返工数",
    "closed": "结案数",
    "due": "应结案数",
    "deferred": "延期数",
    "closed_on_time": "按期结案数",
    "ever_overdue": "超期数",
    "rated": "评价数",
    "satisfied": "满意数",
    "basic": "基本满意数",
    "unsatisfied": "不满意数",
    "reviews": "部门评价数",
}

#: Counters shown to people (the sums behind the averages stay internal).
SHOWN_COUNTERS: tuple[str, ...] = tuple(COUNTER_LABELS)


def rates(c: Counters) -> dict[str, float | None]:
    """Every indicator of :data:`DEFINITIONS` for one group (None where undefined)."""
    return {d.name: d.compute(c) for d in DEFINITIONS}


def shown(value: float | None, unit: str = "rate") -> str:
    """How a value reads in a table: ``87.5%``, ``12.25``, or “—”."""
    if value is None:
        return NO_VALUE
    if unit == "rate":
        return f"{value * 100:.1f}%"
    return f"{value:.2f}"


# --- one event at a time (the reference the SQL must agree with) ----------------------------


@dataclass(frozen=True, slots=True)
class EventFacts:
    """The fields of one event that the indicators read."""

    state: str
    self_resolved: bool = False
    accepted_at: datetime | None = None
    dispatched_at: datetime | None = None
    handled_at: datetime | None = None
    handled_on_time: bool | None = None
    handle_due_at: datetime | None = None
    closed_at: datetime | None = None
    extended: bool = False
    rework_count: int = 0
    ever_overdue: bool = False
    rating: str | None = None


def classify(
    e: EventFacts, as_of: datetime, working_hours: Callable[[datetime, datetime], float] | None = None
) -> Counters:
    """The counters one event contributes (see the module docstring for every condition)."""
    merged = e.state == "merged"
    rejected = e.state == "rejected"
    dispatched = e.dispatched_at is not None
    handled = dispatched and e.handled_at is not None
    closed = e.closed_at is not None
    due = (
        not merged and not rejected and (closed or (e.handle_due_at is not None and e.handle_due_at <= as_of))
    )
    on_time_close = (
        due and not e.extended and closed and (e.handle_due_at is None or e.closed_at <= e.handle_due_at)
    )  # type: ignore[operator]
    hours = 0.0
    if handled and working_hours is not None:
        hours = max(0.0, working_hours(e.dispatched_at, e.handled_at))  # type: ignore[arg-type]
    return Counters(
        reported=1,
        merged=int(merged),
        rejected=int(rejected),
        self_resolved=int(e.self_resolved),
        accepted=int(not merged and (e.accepted_at is not None or e.self_resolved)),
        dispatched=int(dispatched),
        handled=int(handled),
        handled_on_time=int(handled and e.handled_on_time is True),
        reworked=int(handled and e.rework_count > 0),
        closed=int(closed),
        due=int(due),
        deferred=int(due and e.extended),
        closed_on_time=int(on_time_close),
        ever_overdue=int(e.ever_overdue),
        rated=int(e.rating is not None),
        satisfied=int(e.rating == "satisfied"),
        basic=int(e.rating == "basic"),
        unsatisfied=int(e.rating == "unsatisfied"),
        handle_hours=hours,
    )


#: numerator ⊆ denominator pairs that hold for any set of real events (checked by the tests)
SUBSETS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("acceptance_rate", ("accepted",), ("reported", "-merged")),
    ("handling_rate", ("handled",), ("dispatched",)),
    ("on_time_handling_rate", ("handled_on_time",), ("handled",)),
    ("closing_rate", ("closed",), ("reported", "-rejected", "-merged")),
    ("on_time_closing_rate", ("closed_on_time",), ("due", "-deferred")),
    ("rework_rate", ("reworked",), ("handled",)),
    ("satisfaction_rate", ("satisfied", "basic"), ("rated",)),
    ("dissatisfaction_rate", ("unsatisfied",), ("rated",)),
)


def _term(c: Counters, names: tuple[str, ...]) -> int:
    return sum(-getattr(c, n[1:]) if n.startswith("-") else getattr(c, n) for n in names)


def violations(c: Counters) -> list[str]:
    """The indicators whose numerator exceeds its denominator (or goes negative): empty for real data."""
    out = []
    for name, num, den in SUBSETS:
        n, d = _term(c, num), _term(c, den)
        if n < 0 or d < 0 or n > d:
            out.append(name)
    return out
