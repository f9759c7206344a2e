"""The event workflow as data: states, actions, who may take each action and where it leads.

Pure module (no database imports): the service asks :func:`plan` whether an action is allowed for
an event in a given state and for an actor in a given relation to the event, and gets back the
state to move to. The table below is the single source of truth; ``docs/workflow.md`` draws it.

Six steps of the closed loop: 发现上报 (report) → 受理派遣 (accept, dispatch) → 处置反馈 (sign,
handle) → 任务核查 (verify) → 事件归档 (close) → 考核评价 (evaluate).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    reported = "reported"
    accepted = "accepted"
    dispatched = "dispatched"
    in_progress = "in_progress"
    handled = "handled"
    closed = "closed"
    evaluated = "evaluated"
    rejected = "rejected"
    returned = "returned"
    merged = "merged"


STATE_LABELS: dict[State, str] = {
    State.reported: "已上报",
    State.accepted: "已受理",
    State.dispatched: "已派遣",
    State.in_progress: "处置中",
    State.handled: "已处置",
    State.closed: "已结案",
    State.evaluated: "已评价",
    State.rejected: "不予受理",
    State.returned: "已退回",
    State.merged: "已合并",
}

#: states in which the event is finished (no clock runs, no action but evaluate/none)
FINAL = frozenset({State.closed, State.evaluated, State.rejected, State.merged})
OPEN = frozenset(State) - FINAL


class Action(StrEnum):
    report = "report"
    accept = "accept"
    reject = "reject"
    dispatch = "dispatch"
    sign = "sign"
    return_ = "return"
    request_extension = "request_extension"
    approve_extension = "approve_extension"
    deny_extension = "deny_extension"
    handle = "handle"
    verify_pass = "verify_pass"
    verify_fail = "verify_fail"
    close = "close"
    evaluate = "evaluate"
    escalate = "escalate"
    whistle = "whistle"
    check_in = "check_in"
    urge = "urge"
    merge = "merge"
    self_resolve = "self_resolve"
    comment = "comment"


ACTION_LABELS: dict[Action, str] = {
    Action.report: "上报",
    Action.accept: "受理",
    Action.reject: "不予受理",
    Action.dispatch: "派遣",
    Action.sign: "签收",
    Action.return_: "退单",
    Action.request_extension: "申请延期",
    Action.approve_extension: "批准延期",
    Action.deny_extension: "驳回延期",
    Action.handle: "处置反馈",
    Action.verify_pass: "核查通过",
    Action.verify_fail: "核查不通过",
    Action.close: "结案",
    Action.evaluate: "评价",
    Action.escalate: "上报上级",
    Action.whistle: "吹哨",
    Action.check_in: "报到",
    Action.urge: "督办",
    Action.merge: "合并",
    Action.self_resolve: "自处置",
    Action.comment: "备注",
}


class Party(StrEnum):
    """How the actor relates to the event (decided by the service, from roles and scope)."""

    centre = "centre"          # an operator (or admin) whose scope covers the event
    department = "department"  # a handler of the lead department
    summoned = "summoned"      # a handler of a department summoned by a whistle (not yet the lead)
    grid = "grid"              # a grid worker of the event's grid
    leader = "leader"          # a leader whose scope covers the event
    reporter = "reporter"      # whoever reported it (a resident by tracking code, or the reporter user)
    system = "system"          # the clock


@dataclass(frozen=True, slots=True)
class Rule:
    action: Action
    sources: frozenset[State]
    target: State | None  # None: the state does not change
    parties: frozenset[Party]
    note_required: bool = False


def _rule(action: Action, sources: set[State] | frozenset[State], target: State | None,
          parties: set[Party], note_required: bool = False) -> Rule:
    return Rule(action, frozenset(sources), target, frozenset(parties), note_required)


S, P, A = State, Party, Action
_WORKING = {S.accepted, S.dispatched, S.in_progress, S.handled, S.returned}

RULES: tuple[Rule, ...] = (
    _rule(A.accept, {S.reported}, S.accepted, {P.centre}),
    _rule(A.reject, {S.reported}, S.rejected, {P.centre}, note_required=True),
    _rule(A.dispatch, {S.accepted, S.returned}, S.dispatched, {P.centre}),
    _rule(A.sign, {S.dispatched}, S.in_progress, {P.department}),
    _rule(A.return_, {S.dispatched, S.in_progress}, S.returned, {P.department}, note_required=True),
    _rule(A.request_extension, {S.in_progress}, None, {P.department}, note_required=True),
    _rule(A.approve_extension, {S.in_progress}, None, {P.centre}),
    _rule(A.deny_extension, {S.in_progress}, None, {P.centre}, note_required=True),
    _rule(A.handle, {S.in_progress}, S.handled, {P.department}, note_required=True),
    _rule(A.verify_pass, {S.handled}, S.closed, {P.grid, P.centre}),
    _rule(A.verify_fail, {S.handled}, S.in_progress, {P.grid, P.centre}, note_required=True),
    _rule(A.close, {S.handled, S.accepted}, S.closed, {P.centre}, note_required=True),
    _rule(A.evaluate, {S.closed}, S.evaluated, {P.reporter, P.centre}),
    _rule(A.escalate, {S.reported, S.accepted, S.returned, S.dispatched, S.in_progress}, None,
          {P.centre, P.system, P.grid}, note_required=True),
    _rule(A.whistle, {S.accepted, S.returned, S.dispatched, S.in_progress}, S.dispatched, {P.centre},
          note_required=True),
    _rule(A.check_in, {S.dispatched, S.in_progress}, None, {P.summoned, P.department}),
    _rule(A.urge, {S.accepted, S.dispatched, S.in_progress, S.returned, S.handled}, None,
          {P.centre, P.leader}, note_required=True),
    _rule(A.merge, {S.reported, S.accepted}, S.merged, {P.centre}),
    _rule(A.comment, set(State), None, {P.centre, P.department, P.grid, P.leader}, note_required=True),
)

#: rules by action (one rule per action)
TABLE: dict[Action, Rule] = {r.action: r for r in RULES}

#: actions that create an event rather than move one (handled by intake, not by :func:`plan`)
INTAKE_ACTIONS = frozenset({Action.report, Action.self_resolve})


class TransitionError(Exception):
    """Why an action is not allowed: ``code`` is machine-readable, ``message`` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def plan(state: State | str, action: Action | str, parties: set[Party] | frozenset[Party],
         note: str | None = None) -> State:
    """The state after ``action``, or :class:`TransitionError` saying why it is not allowed."""
    try:
        action = Action(action)
    except ValueError:
        raise TransitionError("unknown_action", f"未知的操作：{action}") from None
    state = State(state)
    rule = TABLE.get(action)
    if rule is None:
        raise TransitionError("not_a_transition", f"「{ACTION_LABELS[action]}」不是对已有事件的操作")
    if state not in rule.sources:
        raise TransitionError(
            "invalid_transition",
            f"事件当前状态为「{STATE_LABELS[state]}」，不能执行「{ACTION_LABELS[action]}」",
        )
    if not (rule.parties & set(parties)):
        raise TransitionError("not_your_step", f"您不是可执行「{ACTION_LABELS[action]}」的一方")
    if rule.note_required and not (note and note.strip()):
        raise TransitionError("note_required", f"「{ACTION_LABELS[action]}」须填写说明")
    return rule.target if rule.target is not None else state


def available(state: State | str, parties: set[Party] | frozenset[Party]) -> list[Action]:
    """The actions these parties may take on an event in ``state`` (what the UI offers)."""
    state = State(state)
    return [r.action for r in RULES if state in r.sources and r.parties & set(parties)]


# --- clocks: which step's clock runs in which state -----------------------------------------

class Step(StrEnum):
    accept = "accept"
    dispatch = "dispatch"
    sign = "sign"
    handle = "handle"
    verify = "verify"


#: the step whose time limit runs while the event is in a state (no clock in final states)
STEP_OF_STATE: dict[State, Step] = {
    State.reported: Step.accept,
    State.accepted: Step.dispatch,
    State.returned: Step.dispatch,
    State.dispatched: Step.sign,
    State.in_progress: Step.handle,
    State.handled: Step.verify,
}
