"""考核评价, database side: the indicators per department, region, grid worker or period, the Excel
export, and the departments' reverse evaluation (反向评价) by grid workers and the centre.

Counting is one SQL ``GROUP BY`` over the cohort (events reported in ``[since, until)`` inside the
user's visibility): every counter of :class:`gridgov.events.metrics.Counters` is a
``SUM(CASE WHEN … THEN 1 ELSE 0 END)``. Durations are working hours, so SQL needs the working
calendar: a small table of the range's days (working hours before each local midnight, working day
or not) is looked up for each instant — an array on PostgreSQL, a temporary table keyed by day on
SQLite — and the office periods become ``min/max`` arithmetic on the local second of the day
(:func:`handle_hours`). Review scores are a third ``GROUP BY`` over ``department_reviews``.
No Python loop runs over the events.
"""

from __future__ import annotations

import io
import operator
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import Grouping

from gridgov.access import audit
from gridgov.access.models import Department, User
from gridgov.access.roles import Role
from gridgov.access.scope import scope_of, subtree_clause
from gridgov.db import utcnow
from gridgov.errors import Conflict, Forbidden, Invalid
from gridgov.events import metrics
from gridgov.events.models import Event
from gridgov.events.parties import get_visible, parties_of, visible_clause
from gridgov.events.review_models import DepartmentReview
from gridgov.events.workflow import Party, State
from gridgov.regions.models import Region
from gridgov.settings import get_settings

GROUPS: dict[str, str] = {"department": "部门", "region": "区域", "grid_worker": "网格员", "period": "时段"}
#: region levels and the length of their codes (a grid's code extends its community's)
LEVELS: dict[str, tuple[int, str]] = {
    "county": (6, "县（区）"),
    "street": (9, "乡镇（街道）"),
    "community": (12, "村（社区）"),
    "grid": (15, "网格"),
}
PERIODS: dict[str, str] = {"day": "日", "week": "周", "month": "月"}
METRIC_ROLES = frozenset({Role.leader, Role.operator, Role.admin, Role.handler})
DEFAULT_DAYS = 30
MAX_DAYS = 3700
FIRST_YEAR, LAST_YEAR = 1971, 2099  # inside the working calendar's range
UNKNOWN_DEPARTMENT = "未指定部门"


@dataclass(frozen=True, slots=True)
class MetricsQuery:
    group: str
    level: str | None
    period: str | None
    since: datetime
    until: datetime
    region: str | None
    as_of: datetime


def make_query(
    group: str,
    *,
    level: str | None = None,
    period: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    region: str | None = None,
    now: datetime | None = None,
) -> MetricsQuery:
    """Check and complete a query: defaults (last 30 days, street level, by month), local-time naive dates."""
    if group not in GROUPS:
        raise Invalid(f"未知的分组：{group}；可选：{'、'.join(GROUPS)}", code="unknown_group")
    if group == "region":
        level = level or "street"
        if level not in LEVELS:
            raise Invalid(f"未知的区域层级：{level}；可选：{'、'.join(LEVELS)}", code="unknown_level")
    else:
        level = None
    if group == "period":
        period = period or "month"
        if period not in PERIODS:
            raise Invalid(f"未知的统计周期：{period}；可选：{'、'.join(PERIODS)}", code="unknown_period")
    else:
        period = None
    if region is not None and not re.fullmatch(r"\d{2,17}", region):
        raise Invalid("区划代码须为 2 至 17 位数字", code="invalid_region")
    for t in (since, until):
        if t is not None and not FIRST_YEAR <= t.year <= LAST_YEAR:
            raise Invalid(f"统计时间须在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间", code="invalid_range")
    now = now or utcnow()
    until = _aware(until) if until else now
    since = _aware(since) if since else until - timedelta(days=DEFAULT_DAYS)
    if since >= until:
        raise Invalid("统计起始时间须早于结束时间", code="invalid_range")
    if until - since > timedelta(days=MAX_DAYS):
        raise Invalid(f"统计时间跨度不能超过 {MAX_DAYS} 天", code="range_too_long")
    return MetricsQuery(group, level, period, since, until, region, now)


def _zone() -> ZoneInfo:
    return ZoneInfo(get_settings().work_timezone)


def _aware(t: datetime) -> datetime:
    """A naive date/time in a query is local time (the working calendar's zone)."""
    return t.replace(tzinfo=_zone()) if t.tzinfo is None else t


def require_metrics_role(user: User) -> None:
    if Role(user.role) not in METRIC_ROLES:
        raise Forbidden("只有领导、中心坐席、管理员和部门人员可以查看考核指标", code="permission_denied")
    if Role(user.role) is Role.handler and user.department_id is None:
        raise Forbidden("您的账号未关联部门，无法查看部门考核指标", code="permission_denied")


# --- SQL pieces -------------------------------------------------------------------------------


def _count(cond: ColumnElement[bool]) -> Any:
    return func.sum(case((cond, 1), else_=0))


def conditions(as_of: datetime) -> dict[str, ColumnElement[bool]]:
    """The per-event conditions of :mod:`gridgov.events.metrics`, in SQL (mirrors ``metrics.classify``)."""
    merged = Event.state == State.merged.value
    rejected = Event.state == State.rejected.value
    dispatched = Event.dispatched_at.is_not(None)
    handled = and_(dispatched, Event.handled_at.is_not(None))
    closed = Event.closed_at.is_not(None)
    due = and_(
        Event.state.not_in((State.merged.value, State.rejected.value)),
        or_(closed, and_(Event.handle_due_at.is_not(None), Event.handle_due_at <= as_of)),
    )
    return {
        "merged": merged,
        "rejected": rejected,
        "self_resolved": Event.self_resolved.is_(True),
        "accepted": and_(~merged, or_(Event.accepted_at.is_not(None), Event.self_resolved.is_(True))),
        "dispatched": dispatched,
        "handled": handled,
        "handled_on_time": and_(handled, Event.handled_on_time.is_(True)),
        "reworked": and_(handled, Event.rework_count > 0),
        "closed": closed,
        "due": due,
        "deferred": and_(due, Event.extended.is_(True)),
        "closed_on_time": and_(
            due,
            Event.extended.is_(False),
            closed,
            or_(Event.handle_due_at.is_(None), Event.closed_at <= Event.handle_due_at),
        ),
        "ever_overdue": Event.ever_overdue.is_(True),
        "rated": Event.rating.is_not(None),
        "satisfied": Event.rating == "satisfied",
        "basic": Event.rating == "basic",
        "unsatisfied": Event.rating == "unsatisfied",
    }


def _dialect(db: Session) -> str:
    return db.get_bind().dialect.name


def _tz_literal() -> Any:
    name = get_settings().work_timezone
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", name):
        raise Invalid("工作时区配置无效", code="bad_timezone")
    return literal_column(f"'{name}'")


def period_key(db: Session, period: str, since: datetime) -> Any:
    """The local calendar day / week (its Monday) / month of ``created_at``, as text.

    PostgreSQL converts with the zone's rules; SQLite has no time zones, so it shifts by the zone's
    UTC offset at ``since`` (exact for Asia/Shanghai, which has no daylight saving time).
    """
    if _dialect(db) == "postgresql":
        local = func.timezone(_tz_literal(), Event.created_at)
        if period == "day":
            return func.to_char(local, literal_column("'YYYY-MM-DD'"))
        if period == "week":
            return func.to_char(
                func.date_trunc(literal_column("'week'"), local), literal_column("'YYYY-MM-DD'")
            )
        return func.to_char(local, literal_column("'YYYY-MM'"))
    minutes = int(since.astimezone(_zone()).utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
    shift = literal_column(f"'{minutes:+d} minutes'")
    if period == "day":
        return func.strftime(literal_column("'%Y-%m-%d'"), Event.created_at, shift)
    if period == "week":
        return func.date(Event.created_at, shift, literal_column("'weekday 0'"), literal_column("'-6 days'"))
    return func.strftime(literal_column("'%Y-%m'"), Event.created_at, shift)


def group_key(db: Session, q: MetricsQuery) -> Any:
    if q.group == "department":
        return func.coalesce(Event.lead_department_id, literal_column("0"))
    if q.group == "region":
        return func.substr(Event.region_code, literal_column("1"), literal_column(str(LEVELS[q.level][0])))
    if q.group == "grid_worker":
        return Event.reporter_user_id
    return period_key(db, q.period, q.since)


def cohort(user: User, q: MetricsQuery) -> list[ColumnElement[bool]]:
    """The events counted: reported in the range, visible to the user (a handler: their department's)."""
    conds: list[ColumnElement[bool]] = [
        visible_clause(user),
        Event.created_at >= q.since,
        Event.created_at < q.until,
    ]
    if Role(user.role) is Role.handler:
        conds.append(Event.lead_department_id == user.department_id)
    if q.region:
        conds.append(subtree_clause(Event.region_code, q.region))
    if q.group == "grid_worker":
        conds.extend([Event.channel == "grid", Event.reporter_user_id.is_not(None)])
    return conds


def _local_seconds(db: Session, column: Any, q: MetricsQuery) -> Any:
    """Seconds since 1970-01-01 00:00 *local wall-clock time* (the working calendar's zone)."""
    if _dialect(db) == "postgresql":
        return cast(func.extract("epoch", func.timezone(_tz_literal(), column)), Float)
    offset = int(q.since.astimezone(_zone()).utcoffset().total_seconds())  # type: ignore[union-attr]
    return (func.julianday(column) - literal_column("2440587.5")) * literal_column(
        "86400.0"
    ) + literal_column(str(offset))


def _local_day(db: Session, column: Any, q: MetricsQuery) -> Any:
    """The local calendar day of ``column`` as a day number (days since 1970-01-01)."""
    seconds = _local_seconds(db, column, q).op("/", precedence=8)(literal_column("86400.0"))  # float division
    return cast(func.floor(seconds) if _dialect(db) == "postgresql" else seconds, Integer)


def _greatest(db: Session, a: Any, b: Any) -> Any:
    return func.greatest(a, b) if _dialect(db) == "postgresql" else func.max(a, b)


def _least(db: Session, a: Any, b: Any) -> Any:
    return func.least(a, b) if _dialect(db) == "postgresql" else func.min(a, b)


# --- counting ---------------------------------------------------------------------------------


def count_groups(db: Session, user: User, q: MetricsQuery) -> dict[Any, metrics.Counters]:
    """Counters per group key: one GROUP BY for the events, one for the handling hours, one for reviews."""
    key = group_key(db, q).label("key")
    conds = cohort(user, q)
    cond = conditions(q.as_of)
    cols = [func.count().label("reported")] + [_count(c).label(n) for n, c in cond.items()]
    span = [
        func.min(case((cond["handled"], _local_day(db, Event.dispatched_at, q)))).label("first_day"),
        func.max(case((cond["handled"], _local_day(db, Event.handled_at, q)))).label("last_day"),
    ]
    out: dict[Any, dict[str, Any]] = {}
    days: list[int] = []
    for row in db.execute(select(key, *cols, *span).where(*conds).group_by(key)).mappings():
        out[row["key"]] = dict(row)
        days += [d for d in (row["first_day"], row["last_day"]) if d is not None]
    span_ = _calendar_days(days)
    if span_ is not None:
        for k, hours in handle_hours(db, q, conds, *span_).items():
            out[k]["handle_hours"] = hours
    for k, r in review_sums(db, q, conds).items():
        out.setdefault(k, {}).update(r)
    return {k: metrics.Counters.of(v) for k, v in out.items()}


def _calendar_days(days: list[int]) -> tuple[int, int] | None:
    """The day range the handled events touch, within the working calendar's years (an instant
    outside them — only bad imported data — adds no hours rather than failing the query)."""
    from gridgov.events.clock import calendar

    if not days:
        return None
    cal = calendar()
    lo = (date(cal.first_year, 1, 1) - date(1970, 1, 1)).days
    hi = (date(cal.last_year, 12, 31) - date(1970, 1, 1)).days
    first, last = max(min(days), lo), min(max(days), hi)
    return (first, last) if first <= last else None


def day_table(first_day: int, last_day: int) -> list[tuple[int, float, int]]:
    """``(day number, working hours before its local midnight, 1 if a working day)`` for each local day.

    The hours are counted from the first day's midnight (only differences matter). Built from the
    working calendar (holidays, make-up days), one row per *day* of the range, never per event.
    """
    from gridgov.events.clock import calendar

    cal = calendar()
    dates = [date(1970, 1, 1) + timedelta(days=d) for d in range(first_day, last_day + 1)]
    midnights = np.array([datetime(d.year, d.month, d.day, tzinfo=cal.zone).timestamp() for d in dates])
    us = np.rint(midnights * 1e6).astype(np.int64)
    cum = cal.working_hours_between_many(np.full(len(us), us[0]), us)
    return [
        (first_day + i, float(h), int(cal.is_workday(d)))
        for i, (d, h) in enumerate(zip(dates, cum, strict=True))
    ]


def _day_lookup(db: Session, q: MetricsQuery, rows: list[tuple[int, float, int]]) -> tuple[Any, list[Any]]:
    """How to find a day's (cum, open) for an instant: ``(lookup, joins)``.

    PostgreSQL: two array literals indexed by the day number (no join at all). SQLite (no arrays): a
    temporary table keyed by day, joined once per instant — an INTEGER PRIMARY KEY lookup (its
    planner would scan a VALUES list once per event instead).
    """
    first_day = rows[0][0]
    if _dialect(db) == "postgresql":
        cums = Grouping(literal([c for _, c, _ in rows], ARRAY(Float)))  # (…)[i]: an array subscript
        opens = Grouping(literal([o for _, _, o in rows], ARRAY(Integer)))

        def by_array(instant: Any, name: str) -> tuple[Any, Any]:
            i = _local_day(db, instant, q) - literal_column(str(first_day - 1))
            return cums[i], opens[i]

        return by_array, []
    db.execute(
        text(
            "CREATE TEMP TABLE IF NOT EXISTS metric_days "
            "(day INTEGER PRIMARY KEY, cum REAL NOT NULL, open INTEGER NOT NULL)"
        )
    )
    days = table(
        "metric_days", column("day", Integer), column("cum", Float), column("open", Integer), schema="temp"
    )
    db.execute(days.delete())
    db.execute(days.insert(), [{"day": d, "cum": c, "open": o} for d, c, o in rows])
    joins: list[Any] = []

    def by_join(instant: Any, name: str) -> tuple[Any, Any]:
        day = days.alias(name)
        joins.append((day, day.c.day == _local_day(db, instant, q)))
        return day.c.cum, day.c.open

    return by_join, joins


def _seconds_of_day(t: Any) -> int:
    return (t.hour * 60 + t.minute) * 60 + t.second


def handle_hours(
    db: Session, q: MetricsQuery, conds: list[ColumnElement[bool]], first_day: int, last_day: int
) -> dict[Any, float]:
    """Working hours from dispatch to handling, summed per group, in SQL.

    The working time up to an instant t is W(t) = C(day) + open(day) × Σ_periods clamp(s − start, 0,
    length), where C is the working time before the local midnight of t's day, open says whether it
    is a working day and s is t's local second of the day — exactly how the working calendar counts.
    C and open come from a table of the range's days (:func:`day_table`); the hours of an event are
    max(0, W(handled_at) − W(dispatched_at)), summed per group.
    """
    from gridgov.events.clock import calendar

    lookup, joins = _day_lookup(db, q, day_table(first_day, last_day))
    periods = [(_seconds_of_day(a), _seconds_of_day(b) - _seconds_of_day(a)) for a, b in calendar().periods]
    zero, day_seconds = literal_column("0"), literal_column("86400")

    def worked(instant: Any, name: str) -> Any:
        cum, open_ = lookup(instant, name)
        second = _local_seconds(db, instant, q) - _local_day(db, instant, q) * day_seconds
        within = [
            _least(db, _greatest(db, second - literal_column(str(start)), zero), literal_column(str(length)))
            for start, length in periods
        ]
        return cum * literal_column("3600") + open_ * reduce(operator.add, within)

    key = group_key(db, q).label("key")
    spent = worked(Event.handled_at, "h") - worked(Event.dispatched_at, "d")
    stmt = select(key, func.sum(_greatest(db, spent, zero))).select_from(Event)
    for day, on in joins:
        stmt = stmt.join(day, on)
    stmt = stmt.where(*conds, Event.dispatched_at.is_not(None), Event.handled_at.is_not(None)).group_by(key)
    return {k: float(v or 0) / 3600 for k, v in db.execute(stmt).all()}


def review_sums(db: Session, q: MetricsQuery, conds: list[ColumnElement[bool]]) -> dict[Any, dict[str, int]]:
    """Reverse-evaluation counts and score sums per group (a department: the one reviewed)."""
    key = (DepartmentReview.department_id if q.group == "department" else group_key(db, q)).label("key")
    stmt = (
        select(
            key,
            func.count().label("reviews"),
            func.sum(DepartmentReview.routing_score).label("routing_score_sum"),
            func.sum(DepartmentReview.handling_score).label("handling_score_sum"),
            func.sum(DepartmentReview.effect_score).label("effect_score_sum"),
        )
        .join(Event, Event.id == DepartmentReview.event_id)
        .where(*conds)
        .group_by(key)
    )
    return {row["key"]: dict(row) for row in db.execute(stmt).mappings()}


# --- labels and rows --------------------------------------------------------------------------


LOOKUP_CHUNK = 5000  # keys per IN (...) list: well under SQLite's and psycopg's parameter limits


def _names(db: Session, key_col: Any, name_col: Any, keys: list[Any], *where: Any) -> dict[Any, str]:
    found: dict[Any, str] = {}
    for i in range(0, len(keys), LOOKUP_CHUNK):
        chunk = keys[i : i + LOOKUP_CHUNK]
        found.update(db.execute(select(key_col, name_col).where(key_col.in_(chunk), *where)).all())
    return found


def labels(db: Session, q: MetricsQuery, keys: list[Any]) -> dict[Any, str]:
    """What each group is called: a department's or grid worker's name, a region's name, a period."""
    if q.group == "department":
        found = _names(db, Department.id, Department.name, [k for k in keys if k])
        return {k: found.get(k, f"部门 {k}" if k else UNKNOWN_DEPARTMENT) for k in keys}
    if q.group == "grid_worker":
        found = _names(db, User.id, User.display_name, keys)
        return {k: found.get(k, f"用户 {k}") for k in keys}
    if q.group == "region":
        found = _names(db, Region.code, Region.name, keys, Region.valid_to.is_(None))
        return {k: found.get(k, k) for k in keys}
    return {k: period_label(q.period, k) for k in keys}


def period_label(period: str | None, key: str) -> str:
    if not key:
        return "—"
    if period == "month":
        y, m = key.split("-")[:2]
        return f"{y}年{int(m)}月"
    if period == "week":
        d = date.fromisoformat(key)
        iso = d.isocalendar()
        return f"{iso.year}年第{iso.week}周（{d:%m-%d}起）"
    return key


def row_out(key: Any, label: str, c: metrics.Counters) -> dict[str, Any]:
    out: dict[str, Any] = {"key": "" if key is None else str(key), "label": label}
    out.update({n: getattr(c, n) for n in metrics.SHOWN_COUNTERS})
    out.update(metrics.rates(c))
    return out


def compute(db: Session, user: User, q: MetricsQuery) -> dict[str, Any]:
    """The indicators per group and in total, with labels (what the API returns)."""
    require_metrics_role(user)
    groups = count_groups(db, user, q)
    names = labels(db, q, list(groups))
    if q.group == "period":
        order = sorted(groups, key=str)
    else:
        order = sorted(groups, key=lambda k: (-groups[k].reported, str(names[k])))
    total = metrics.total(groups.values())
    return {
        "group": q.group,
        "group_label": GROUPS[q.group],
        "level": q.level,
        "period": q.period,
        "region": q.region,
        "since": q.since.astimezone(UTC),
        "until": q.until.astimezone(UTC),
        "as_of": q.as_of,
        "scope": scope_text(db, user),
        "rows": [row_out(k, names[k], groups[k]) for k in order],
        "total": row_out("total", "合计", total),
    }


def definitions() -> list[dict[str, Any]]:
    return [
        {
            "name": d.name,
            "label": d.label,
            "numerator": d.numerator,
            "denominator": d.denominator,
            "numerator_sql": d.numerator_sql,
            "denominator_sql": d.denominator_sql,
            "unit": d.unit,
            "note": d.note,
        }
        for d in metrics.DEFINITIONS
    ]


def scope_text(db: Session, user: User) -> str:
    scope = scope_of(user)
    if scope.everything:
        return "全部"
    if Role(user.role) is Role.handler:
        d = db.get(Department, user.department_id)
        return f"本部门：{d.name if d else user.department_id}"
    return "、".join(scope.regions) or "无"


# --- Excel ------------------------------------------------------------------------------------


def export_xlsx(db: Session, user: User, q: MetricsQuery) -> tuple[bytes, str]:
    """The indicators as a watermarked workbook (sheet 1) with the formulas explained (sheet 2); audited."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font

    from gridgov.integration.excel import export_xlsx as write
    from gridgov.integration.excel import format_watermark

    data = compute(db, user, q)
    first = (
        "网格员"
        if q.group == "grid_worker"
        else {"department": "部门", "region": "区域"}.get(q.group, "时段")
    )
    counters = list(metrics.SHOWN_COUNTERS)
    headers = (
        [first, "代码"]
        + [metrics.COUNTER_LABELS[n] for n in counters]
        + [d.label + ("（小时）" if d.unit == "hours" else "") for d in metrics.DEFINITIONS]
    )

    def cells(r: dict[str, Any]) -> list[Any]:
        return (
            [r["label"], r["key"]]
            + [r[n] for n in counters]
            + [metrics.NO_VALUE if r[d.name] is None else r[d.name] for d in metrics.DEFINITIONS]
        )

    scope = data["scope"]
    zone = _zone()
    mark = format_watermark(f"{user.username}（{user.display_name}）", utcnow().astimezone(zone), scope)
    mark += (
        f"｜统计区间：{q.since.astimezone(zone):%Y-%m-%d %H:%M} 至 {q.until.astimezone(zone):%Y-%m-%d %H:%M}"
        f"｜分组：{GROUPS[q.group]}"
    )
    rows = [cells(r) for r in data["rows"]] + [cells(data["total"])]
    wb = load_workbook(io.BytesIO(write(headers, rows, watermark=mark, sheet_name="考核指标")))
    ws = wb.active
    base = 2 + len(counters)
    for i, d in enumerate(metrics.DEFINITIONS):
        fmt = "0.0%" if d.unit == "rate" else "0.00"
        for (cell,) in ws.iter_rows(min_row=3, min_col=base + i + 1, max_col=base + i + 1):
            if isinstance(cell.value, int | float):
                cell.number_format = fmt
            else:
                cell.alignment = Alignment(horizontal="center")
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    _formula_sheet(wb, mark, q)
    out = io.BytesIO()
    wb.save(out)
    payload = out.getvalue()
    audit.record(
        db,
        user,
        "metrics.export",
        "metrics",
        q.group,
        detail={
            "watermark": mark,
            "bytes": len(payload),
            "level": q.level,
            "period": q.period,
            "region": q.region,
            "since": q.since.isoformat(),
            "until": q.until.isoformat(),
        },
    )
    name = (
        f"考核指标_{GROUPS[q.group]}_{q.since.astimezone(zone):%Y%m%d}-{q.until.astimezone(zone):%Y%m%d}.xlsx"
    )
    return payload, name


def _formula_sheet(wb: Any, mark: str, q: MetricsQuery) -> None:
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet("指标说明")
    ws.append([mark])
    ws.append(["指标", "分子", "分母", "分子（SQL）", "分母（SQL）", "单位", "说明"])
    for d in metrics.DEFINITIONS:
        unit = {"rate": "百分比", "hours": "工作小时", "score": "分（1–5）"}[d.unit]
        ws.append([d.label, d.numerator, d.denominator, d.numerator_sql, d.denominator_sql, unit, d.note])
    ws.append([])
    ws.append(
        [
            "统计口径",
            f"统计对象为统计区间内上报、且在导出人权限范围内的事件；各项数量均截至统计时点"
            f"（{q.as_of.astimezone(_zone()):%Y-%m-%d %H:%M}）。分母为 0 时显示“—”。",
        ]
    )
    ws.append(
        [
            "结案时限",
            "取处置时限（handle_due_at，含批准的延期）；无处置时限的事件（自处置、未派遣直接结案）视为按期。",
        ]
    )
    ws.append(["满意率", "满意率 =（满意 + 基本满意）/ 评价数；不满意率 = 不满意 / 评价数。"])
    for cell in ws[1] + ws[2]:
        cell.font = Font(bold=True, color="C00000") if cell.row == 1 else Font(bold=True)
    for col, width in zip("ABCDEFG", (14, 36, 28, 48, 48, 10, 40), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


# --- reverse evaluation -----------------------------------------------------------------------


def review_out(
    r: DepartmentReview, department: str | None = None, reviewer: str | None = None
) -> dict[str, Any]:
    return {
        "id": r.id,
        "event_id": r.event_id,
        "department_id": r.department_id,
        "department": department,
        "reviewer_user_id": r.reviewer_user_id,
        "reviewer": reviewer,
        "routing_score": r.routing_score,
        "handling_score": r.handling_score,
        "effect_score": r.effect_score,
        "comment": r.comment,
        "created_at": r.created_at,
    }


def review_department(db: Session, user: User, ref: int | str, data: dict[str, Any]) -> dict[str, Any]:
    """A grid worker of the event's grid, or the centre, scores the department that handled a closed event."""
    e = get_visible(db, user, ref)
    parties = parties_of(db, user, e)
    if not parties & {Party.grid, Party.centre}:
        raise Forbidden("只有事件所在网格的网格员或中心坐席可以评价部门", code="not_your_step")
    if e.state not in (State.closed.value, State.evaluated.value):
        raise Conflict("事件结案后才能评价处置部门", code="event_not_closed", details={"state": e.state})
    if e.dispatched_at is None or e.lead_department_id is None:
        raise Invalid("该事件未派遣至职能部门，无需评价部门", code="not_dispatched")
    scores = {k: data[k] for k in ("routing_score", "handling_score", "effect_score")}
    if not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 5 for v in scores.values()):
        raise Invalid("分流、办理、效果评分须为 1 至 5 的整数", code="invalid_score")
    if (
        db.scalar(
            select(DepartmentReview.id).where(
                DepartmentReview.event_id == e.id, DepartmentReview.reviewer_user_id == user.id
            )
        )
        is not None
    ):
        raise Conflict("您已评价过该事件的处置部门", code="already_reviewed")
    row = DepartmentReview(
        event_id=e.id,
        department_id=e.lead_department_id,
        reviewer_user_id=user.id,
        comment=(data.get("comment") or "").strip() or None,
        created_at=utcnow(),
        **scores,
    )
    db.add(row)
    try:
        with db.begin_nested():
            db.flush()
    except IntegrityError:
        raise Conflict("您已评价过该事件的处置部门", code="already_reviewed") from None
    audit.record(
        db,
        user,
        "event.department_review",
        "event",
        e.id,
        after={**scores, "department_id": row.department_id, "comment": row.comment},
        detail={"review_id": row.id},
    )
    department = db.get(Department, row.department_id)
    return review_out(row, department.name if department else None, user.display_name)


def reviews_of(db: Session, user: User, ref: int | str) -> list[dict[str, Any]]:
    e = get_visible(db, user, ref)
    stmt = (
        select(DepartmentReview, Department.name, User.display_name)
        .join(Department, Department.id == DepartmentReview.department_id)
        .join(User, User.id == DepartmentReview.reviewer_user_id)
        .where(DepartmentReview.event_id == e.id)
        .order_by(DepartmentReview.id)
    )
    return [review_out(r, d, u) for r, d, u in db.execute(stmt).all()]
