"""化解率: how many disputes were resolved, per region and period, in one SQL GROUP BY.

Definitions (for disputes registered in the period, inside the actor's visibility):

- 登记数 ``registered``: every dispute registered;
- 受理数 ``accepted``: less those whose event was not accepted (不予受理) or merged into another;
- 化解数 ``resolved``: accepted disputes whose status is ``resolved`` now;
- 在办未超期 ``pending_in_time``: accepted, not resolved/failed, the event still open and not overdue;
- **化解率** ``resolution_rate`` = 化解数 / 受理数 (the common 成功化解数 / 受理纠纷总数);
- 办结化解率 ``settled_rate`` = 化解数 / (受理数 − 在办未超期): cases still inside their time limit
  are not yet counted as failures.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from gridgov.access.models import User
from gridgov.disputes.models import Dispute
from gridgov.errors import Invalid
from gridgov.events.models import Event
from gridgov.events.parties import visible_clause
from gridgov.events.workflow import FINAL, State
from gridgov.regions.models import Region

LEVELS = {"county": 6, "street": 9, "community": 12, "grid": 15}
DEFINITION = {
    "resolution_rate": "化解率 = 化解数 / 受理数（受理数 = 登记数 − 不予受理 − 合并）",
    "settled_rate": "办结化解率 = 化解数 / (受理数 − 在办未超期数)",
    "period": "按纠纷登记时间统计（since 含，until 不含）；按月分组时按本地时间的登记月份",
}
COUNTS = (
    "registered",
    "accepted",
    "resolved",
    "failed",
    "referred",
    "pending_in_time",
    "red",
    "yellow",
    "green",
)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den > 0 else None


def stats(
    db: Session,
    actor: User,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    level: str = "street",
    region: str | None = None,
    by_month: bool = False,
) -> dict[str, Any]:
    if level not in LEVELS:
        raise Invalid(f"统计层级无效：{level}；可选：{', '.join(LEVELS)}", code="invalid_level")
    region_key = func.substr(Dispute.region_code, 1, LEVELS[level]).label("region_code")
    accepted = Event.state.notin_((State.rejected.value, State.merged.value))
    open_states = [s.value for s in State if s not in FINAL]

    def count(cond: Any) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    columns = [
        func.count().label("registered"),
        count(accepted).label("accepted"),
        count(and_(accepted, Dispute.status == "resolved")).label("resolved"),
        count(and_(accepted, Dispute.status == "failed")).label("failed"),
        count(and_(accepted, Dispute.status == "referred")).label("referred"),
        count(
            and_(
                accepted,
                Dispute.status.in_(("registered", "mediating", "referred")),
                Event.state.in_(open_states),
                Event.overdue.is_(False),
            )
        ).label("pending_in_time"),
        count(Dispute.colour == "red").label("red"),
        count(Dispute.colour == "yellow").label("yellow"),
        count(Dispute.colour == "green").label("green"),
    ]
    keys = [region_key] + ([Dispute.registered_month.label("month")] if by_month else [])
    conds = [visible_clause(actor)]
    if since:
        conds.append(Dispute.created_at >= since)
    if until:
        conds.append(Dispute.created_at < until)
    if region:
        conds.append(Dispute.region_code.startswith(region, autoescape=True))
    query = (
        select(*keys, *columns)
        .select_from(Dispute)
        .join(Event, Event.id == Dispute.event_id)
        .where(*conds)
        .group_by(*keys)
        .order_by(*keys)
    )
    rows = [dict(r._mapping) for r in db.execute(query)]
    names = _region_names(db, {r["region_code"] for r in rows})
    total = {k: sum(int(r[k]) for r in rows) for k in COUNTS}
    for r in rows:
        for k in COUNTS:
            r[k] = int(r[k])
        r["region_name"] = names.get(r["region_code"])
        _rates(r)
    return {
        "level": level,
        "since": since,
        "until": until,
        "by_month": by_month,
        "definition": DEFINITION,
        "rows": rows,
        "total": _rates(total),
    }


def _rates(r: dict[str, Any]) -> dict[str, Any]:
    r["resolution_rate"] = _rate(r["resolved"], r["accepted"])
    r["settled_rate"] = _rate(r["resolved"], r["accepted"] - r["pending_in_time"])
    return r


def _region_names(db: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    return dict(
        db.execute(
            select(Region.code, Region.name).where(Region.code.in_(codes), Region.valid_to.is_(None))
        ).all()
    )
