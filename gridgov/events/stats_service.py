"""统计分析, database side: the figures of the dashboard (/dashboard) and the big screen (/screen).

Every panel is **one SQL GROUP BY** over the events the user may see (the *cohort* of
:func:`gridgov.events.metrics_service.cohort`: reported in the period, inside
:func:`gridgov.events.parties.visible_clause`; a handler: the events their department leads),
narrowed to the region the dashboard is drilled into. The per-event conditions (accepted, closed on
time, satisfied …) are those of :func:`gridgov.events.metrics_service.conditions`, so the rates here
are the 考核指标 of the same events; 化解率 follows :mod:`gridgov.disputes.stats`; visit coverage
reads the special-group members in the user's register scope (:func:`gridgov.access.scope.scope_clause`).
No Python loop runs over events.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Integer, and_, case, cast, func, literal_column, or_, select
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import Department, User
from gridgov.access.roles import Permission, Role, has_permission
from gridgov.access.scope import scope_clause, scope_of, subtree_clause
from gridgov.db import utcnow
from gridgov.disputes.colour import COLOUR_LABELS, TYPE_LABELS, Colour, DisputeType
from gridgov.disputes.models import Dispute
from gridgov.errors import Forbidden, Invalid, NotFound
from gridgov.events import stats
from gridgov.events.metrics_service import MetricsQuery, cohort, conditions, period_key, scope_text
from gridgov.events.models import CatalogCategory, CatalogItem, CatalogVersion, Event
from gridgov.events.parties import visible_clause
from gridgov.events.workflow import FINAL, STATE_LABELS, State
from gridgov.people.groups import GROUPS
from gridgov.people.models import SpecialGroupMember
from gridgov.regions.models import Region
from gridgov.settings import get_settings

STATS_ROLES = frozenset({Role.leader, Role.operator, Role.admin, Role.handler, Role.grid_worker})
OPEN_STATES = tuple(s.value for s in State if s not in FINAL)
CHANNELS = {"grid": "网格员上报", "resident": "群众随手拍", "hotline": "12345热线", "open311": "Open311",
            "sensor": "物联感知", "centre": "中心录入"}
REGION_CODE = re.compile(r"\d{6}(\d{3}){0,3}")  # county 6, street 9, community 12, grid 15
TOP_CATEGORIES = 12
LATEST_MAX = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class StatsQuery:
    """What a dashboard looks at: local days ``[first, last]``, a region (None: the whole scope)."""

    days: stats.DayRange
    since: datetime  # aware, local midnight of the first day
    until: datetime  # aware, local midnight after the last day
    region: str | None
    as_of: datetime

    def metrics(self) -> MetricsQuery:
        return MetricsQuery("department", None, None, self.since, self.until, None, self.as_of)


def zone() -> ZoneInfo:
    return ZoneInfo(get_settings().work_timezone)


def today(now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zone()).date()


def midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=zone())


def make_query(
    period: str = stats.DEFAULT_PERIOD,
    *,
    since: date | None = None,
    until: date | None = None,
    region: str | None = None,
    now: datetime | None = None,
) -> StatsQuery:
    """Check a dashboard query (422 on a bad period, range or region code)."""
    if region is not None and not REGION_CODE.fullmatch(region):
        raise Invalid("区域代码须为 6、9、12 或 15 位数字（县、乡镇街道、村社区、网格）", code="invalid_region")
    now = now or utcnow()
    days = stats.day_range(period, today(now), since, until)
    return StatsQuery(days, midnight(days.first), midnight(days.last + timedelta(days=1)), region, now)


def require_stats_role(user: User) -> None:
    if Role(user.role) not in STATS_ROLES:
        raise Forbidden("只有领导、中心坐席、管理员、部门人员和网格员可以查看统计分析", code="permission_denied")
    if Role(user.role) is Role.handler and user.department_id is None:
        raise Forbidden("您的账号未关联部门，无法查看部门统计", code="permission_denied")


def _region_names(db: Session, codes: set[str]) -> dict[str, str]:
    codes = {c for c in codes if c}
    if not codes:
        return {}
    found: dict[str, str] = {}
    ordered = sorted(codes)
    for i in range(0, len(ordered), 5000):
        found.update(
            db.execute(
                select(Region.code, Region.name).where(Region.code.in_(ordered[i : i + 5000]), Region.valid_to.is_(None))
            ).all()
        )
    return found


def default_region(db: Session, user: User) -> str | None:
    """Where a user's dashboard starts: their one scope root, the only county (admin), else None."""
    scope = scope_of(user)
    if scope.everything:
        counties = db.scalars(
            select(Region.code).where(Region.level == "county", Region.valid_to.is_(None)).limit(2)
        ).all()
        return counties[0] if len(counties) == 1 else None
    roots = [r for r in scope.regions if REGION_CODE.fullmatch(r)]
    return roots[0] if len(roots) == 1 else None


def resolve(db: Session, user: User, q: StatsQuery) -> StatsQuery:
    """Check the user may look at the query's region (403 outside their scope, 404 unknown) and
    fill in their default region when none is asked for."""
    require_stats_role(user)
    if q.region is None:
        region = default_region(db, user)
        return StatsQuery(q.days, q.since, q.until, region, q.as_of) if region else q
    scope = scope_of(user)
    if not (scope.covers_region(q.region) or scope.covers_ancestor_of(q.region)):
        raise Forbidden("该区域不在您的权限范围内", code="out_of_scope")
    if not _region_names(db, {q.region}):
        raise NotFound(f"区域不存在：{q.region}", code="region_not_found")
    return q


def context(db: Session, user: User, q: StatsQuery) -> dict[str, Any]:
    """The query as the panels show it: period, region, breadcrumb (from the top of the user's
    scope down to the region), the level below, the user's scope."""
    scope = scope_of(user)
    path_codes = []
    if q.region:
        path_codes = [c for c in stats.ancestors(q.region) if scope.everything or scope.covers_region(c)]
        path_codes.append(q.region)
    names = _region_names(db, set(path_codes))
    child = stats.child_length(q.region)
    return {
        "period": q.days.period,
        "period_label": stats.PERIODS[q.days.period],
        "first_day": q.days.first,
        "last_day": q.days.last,
        "since": q.since.astimezone(UTC),
        "until": q.until.astimezone(UTC),
        "as_of": q.as_of,
        "region": q.region,
        "region_name": names.get(q.region or "", "全部" if q.region is None else q.region),
        "region_level": stats.level_of(q.region),
        "child_level": stats.LEVELS[child][0] if child else None,
        "child_level_label": stats.LEVELS[child][1] if child else None,
        "path": [{"code": c, "name": names.get(c, c), "level": stats.level_of(c)} for c in path_codes],
        "scope": scope_text(db, user),
    }


def in_region(column: Any, region: str | None) -> list[ColumnElement[bool]]:
    """Narrow to the drilled-into region (the scope itself is already in the cohort).

    A street or below is a range on the byte-ordered code, answered by ``(region_code,
    created_at)``. A whole county is written as ``substr(code) = county`` on purpose, which no
    index answers: on SQLite without planner statistics (the demo never runs ANALYZE) a range
    covering the whole county made it walk the region index and fetch every row of the table at
    random (0.8 s for a year of the county demo) instead of reading the period through
    ``ix_events_created`` (0.05 s).
    """
    if region is None:
        return []
    if len(region) <= 6:
        return [func.substr(column, 1, len(region)) == region]
    return [subtree_clause(column, region)]


def _cohort(user: User, q: StatsQuery) -> list[ColumnElement[bool]]:
    """The events a panel counts: :func:`metrics_service.cohort` (period, visibility, a handler's
    department) in the drilled-into region."""
    return cohort(user, q.metrics()) + in_region(Event.region_code, q.region)


def _sum(cond: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


def _open() -> ColumnElement[bool]:
    return Event.state.in_(OPEN_STATES)


def _rates(r: dict[str, Any]) -> dict[str, Any]:
    r["on_time_closing_rate"] = stats.rate(r["closed_on_time"], r["due"] - r["deferred"])
    r["satisfaction_rate"] = stats.rate(r["satisfied"], r["rated"])
    return r


def _counter_columns(as_of: datetime) -> list[Any]:
    cond = conditions(as_of)
    return [
        func.count().label("events"),
        _sum(_open()).label("open"),
        _sum(and_(_open(), Event.overdue.is_(True))).label("overdue"),
        _sum(cond["closed"]).label("closed"),
        _sum(cond["due"]).label("due"),
        _sum(cond["deferred"]).label("deferred"),
        _sum(cond["closed_on_time"]).label("closed_on_time"),
        _sum(cond["rated"]).label("rated"),
        _sum(or_(cond["satisfied"], cond["basic"])).label("satisfied"),
    ]


COUNTERS = ("events", "open", "overdue", "closed", "due", "deferred", "closed_on_time", "rated", "satisfied")


# --- panels -----------------------------------------------------------------------------------


def summary(db: Session, user: User, q: StatsQuery) -> dict[str, Any]:
    """KPI figures and the status funnel of the cohort (one query)."""
    cond = conditions(q.as_of)
    cols = _counter_columns(q.as_of) + [
        _sum(cond["accepted"]).label("accepted"),
        _sum(cond["dispatched"]).label("dispatched"),
        _sum(cond["handled"]).label("handled"),
        _sum(cond["merged"]).label("merged"),
        _sum(cond["rejected"]).label("rejected"),
    ]
    row = {k: int(v or 0) for k, v in db.execute(select(*cols).where(*_cohort(user, q))).mappings().one().items()}
    kpis = _rates(dict(row))
    funnel = stats.funnel({**row, "reported": row["events"], "evaluated": row["rated"]})
    return {**context(db, user, q), "kpis": kpis, "funnel": funnel}


def daily(db: Session, user: User, q: StatsQuery) -> dict[str, Any]:
    """Events reported per local day (every day of the period, zeros included)."""
    key = period_key(db, "day", q.since).label("day")
    rows = db.execute(select(key, func.count()).where(*_cohort(user, q)).group_by(key)).all()
    return {**context(db, user, q), "days": stats.fill_days(dict(rows), q.days.first, q.days.last)}


def current_categories(db: Session) -> tuple[dict[str, str], dict[str, str]]:
    """Names of the current catalog's categories and items, by code."""
    version = db.scalar(select(CatalogVersion.id).where(CatalogVersion.is_current.is_(True)))
    if version is None:
        return {}, {}
    cats = dict(db.execute(select(CatalogCategory.code, CatalogCategory.name).where(CatalogCategory.version_id == version)).all())
    items = dict(db.execute(select(CatalogItem.code, CatalogItem.name).where(CatalogItem.version_id == version)).all())
    return cats, items


def categories(db: Session, user: User, q: StatsQuery, limit: int = TOP_CATEGORIES) -> dict[str, Any]:
    """Events per catalog category, the largest ``limit`` and the rest as “其他”."""
    stmt = select(Event.category_code, func.count()).where(*_cohort(user, q)).group_by(Event.category_code)
    rows = db.execute(stmt).all()
    names, _ = current_categories(db)
    out = [{"code": c, "name": names.get(c, c), "count": int(n)} for c, n in rows]
    return {**context(db, user, q), "total": sum(r["count"] for r in out), "rows": stats.top(out, limit)}


def channels(db: Session, user: User, q: StatsQuery) -> dict[str, Any]:
    """Events per intake channel."""
    stmt = select(Event.channel, func.count()).where(*_cohort(user, q)).group_by(Event.channel)
    rows = db.execute(stmt).all()
    out = sorted(
        ({"code": c, "name": CHANNELS.get(c, c), "count": int(n)} for c, n in rows), key=lambda r: (-r["count"], r["code"])
    )
    return {**context(db, user, q), "total": sum(r["count"] for r in out), "rows": out}


def departments(db: Session, user: User, q: StatsQuery) -> dict[str, Any]:
    """Lead departments ranked by 按期结案率, then 满意率 (one GROUP BY)."""
    stmt = (
        select(Event.lead_department_id.label("key"), *_counter_columns(q.as_of))
        .where(*_cohort(user, q), Event.lead_department_id.is_not(None))
        .group_by(Event.lead_department_id)
    )
    rows = [{k: int(v or 0) for k, v in r.items()} for r in db.execute(stmt).mappings()]
    ids = [r["key"] for r in rows]
    names = dict(db.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all()) if ids else {}
    out = []
    for r in rows:
        r = _rates(r)
        r["id"] = r.pop("key")
        r["name"] = names.get(r["id"], f"部门 {r['id']}")
        out.append(r)
    out.sort(key=lambda r: (-(r["on_time_closing_rate"] if r["on_time_closing_rate"] is not None else -1),
                            -(r["satisfaction_rate"] if r["satisfaction_rate"] is not None else -1),
                            -r["events"], r["id"]))
    for i, r in enumerate(out, 1):
        r["rank"] = i
    return {**context(db, user, q), "rows": out}


def regions(db: Session, user: User, q: StatsQuery) -> dict[str, Any]:
    """The regions one level below the query's region, with their figures (one GROUP BY)."""
    ctx = context(db, user, q)
    n = stats.child_length(q.region)
    if n is None:
        return {**ctx, "rows": []}
    key = func.substr(Event.region_code, 1, n).label("key")
    stmt = select(key, *_counter_columns(q.as_of)).where(*_cohort(user, q)).group_by(key)
    rows = [dict(r) for r in db.execute(stmt).mappings()]
    names = _region_names(db, {r["key"] for r in rows})
    out = []
    for r in rows:
        code = r.pop("key")
        r = _rates({k: int(v or 0) for k, v in r.items()})
        located = len(code) == n
        r.update(code=code, name=names.get(code, code if located else f"{code}（未定位到{ctx['child_level_label']}）"),
                 level=stats.level_of(code), drillable=located and stats.can_drill(code))
        out.append(r)
    out.sort(key=lambda r: (-r["events"], r["code"]))
    return {**ctx, "rows": out}


def _dispute_columns() -> list[Any]:
    accepted = Event.state.not_in((State.rejected.value, State.merged.value))
    pending = and_(accepted, Dispute.status.in_(("registered", "mediating", "referred")), _open(),
                   Event.overdue.is_(False))
    return [
        func.count().label("registered"),
        _sum(accepted).label("accepted"),
        _sum(and_(accepted, Dispute.status == "resolved")).label("resolved"),
        _sum(pending).label("pending_in_time"),
        *[_sum(Dispute.colour == c.value).label(c.value) for c in Colour],
    ]


DISPUTE_COUNTS = ("registered", "accepted", "resolved", "pending_in_time", *[c.value for c in Colour])


def _dispute_rates(r: dict[str, Any]) -> dict[str, Any]:
    r["resolution_rate"] = stats.rate(r["resolved"], r["accepted"])
    r["settled_rate"] = stats.rate(r["resolved"], r["accepted"] - r["pending_in_time"])
    return r


def disputes(db: Session, user: User, q: StatsQuery) -> dict[str, Any]:
    """Disputes (矛盾纠纷) registered on the cohort's events, per type, with 化解率 and colours;
    and how many dispute events (``is_dispute``) have no dispute record yet (``unregistered``).

    One query: the cohort's events left-joined to their dispute record, grouped by the type (NULL:
    a dispute event not registered)."""
    stmt = (
        select(Dispute.type, *_dispute_columns())
        .select_from(Event)
        .outerjoin(Dispute, Dispute.event_id == Event.id)
        .where(*_cohort(user, q), or_(Event.is_dispute.is_(True), Dispute.id.is_not(None)))
        .group_by(Dispute.type)
    )
    rows = []
    unregistered = 0
    for r in db.execute(stmt).mappings():
        if r["type"] is None:
            unregistered = int(r["registered"] or 0)
            continue
        row = {k: int(r[k] or 0) for k in DISPUTE_COUNTS}
        try:
            label = TYPE_LABELS[DisputeType(r["type"])]
        except ValueError:
            label = r["type"]
        rows.append(_dispute_rates({"type": r["type"], "name": label, **row}))
    rows.sort(key=lambda r: (-r["registered"], r["type"]))
    total = _dispute_rates({k: sum(r[k] for r in rows) for k in DISPUTE_COUNTS})
    colours = [{"colour": c.value, "name": COLOUR_LABELS[c], "count": total[c.value]} for c in Colour]
    return {**context(db, user, q), "rows": rows, "total": total, "colours": colours, "unregistered": unregistered}


def visits(db: Session, user: User, q: StatsQuery) -> dict[str, Any]:
    """Special-group visit coverage now: members visited within their group's interval / members.

    A member counts as covered when they have been visited and their next visit is not yet due
    (``next_visit_due`` is the last visit's date plus the interval). Only users who may read the
    register see it (``available`` false otherwise).
    """
    ctx = context(db, user, q)
    if not has_permission(user.role, Permission.register_read):
        return {**ctx, "available": False, "as_of_day": today(q.as_of), "rows": [], "total": _coverage({})}
    day = today(q.as_of)
    covered = and_(SpecialGroupMember.last_visit_at.is_not(None), SpecialGroupMember.next_visit_due >= day)
    conds = [SpecialGroupMember.valid_to.is_(None), scope_clause(user, region_column=SpecialGroupMember.grid_code)]
    conds += in_region(SpecialGroupMember.grid_code, q.region)
    stmt = (
        select(
            SpecialGroupMember.group,
            func.count().label("members"),
            _sum(covered).label("covered"),
            _sum(SpecialGroupMember.next_visit_due < day).label("overdue"),
            _sum(SpecialGroupMember.last_visit_at.is_(None)).label("never_visited"),
        )
        .where(*conds)
        .group_by(SpecialGroupMember.group)
    )
    rows = []
    for r in db.execute(stmt).mappings():
        spec = GROUPS.get(r["group"])
        rows.append(_coverage({
            "group": r["group"],
            "name": spec.label if spec else r["group"],
            "interval_days": spec.visit_interval_days if spec else None,
            **{k: int(r[k] or 0) for k in ("members", "covered", "overdue", "never_visited")},
        }))
    rows.sort(key=lambda r: (-r["members"], r["group"]))
    total = _coverage({k: sum(r[k] for r in rows) for k in ("members", "covered", "overdue", "never_visited")})
    return {**ctx, "available": True, "as_of_day": day, "rows": rows, "total": total}


def _coverage(r: dict[str, Any]) -> dict[str, Any]:
    for k in ("members", "covered", "overdue", "never_visited"):
        r.setdefault(k, 0)
    r["coverage"] = stats.rate(r["covered"], r["members"])
    return r


# --- the big screen ---------------------------------------------------------------------------


def _scope_conds(user: User, region: str | None) -> list[ColumnElement[bool]]:
    """Visibility without a period (what is open now)."""
    conds: list[ColumnElement[bool]] = [visible_clause(user)]
    if Role(user.role) is Role.handler:
        conds.append(Event.lead_department_id == user.department_id)
    return conds + in_region(Event.region_code, region)


def local_hour(db: Session, column: Any, at: datetime) -> Any:
    """The local hour (0–23) of ``column``."""
    if db.get_bind().dialect.name == "postgresql":
        tz = get_settings().work_timezone
        if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", tz):
            raise Invalid("工作时区配置无效", code="bad_timezone")
        return cast(func.extract("hour", func.timezone(literal_column(f"'{tz}'"), column)), Integer)
    minutes = int(at.astimezone(zone()).utcoffset().total_seconds() // 60)  # type: ignore[union-attr]
    return cast(func.strftime(literal_column("'%H'"), column, literal_column(f"'{minutes:+d} minutes'")), Integer)


def live(db: Session, user: User, region: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """What the wall shows now: today's reports by hour, events open and overdue now per grid."""
    q = resolve(db, user, make_query("7d", region=region, now=now))
    start = midnight(today(q.as_of))
    conds = _scope_conds(user, q.region)
    hour = local_hour(db, Event.created_at, start).label("hour")
    by_hour = dict(
        db.execute(select(hour, func.count()).where(*conds, Event.created_at >= start).group_by(hour)).all()
    )
    grid = func.substr(Event.region_code, 1, 15).label("grid")
    open_rows = db.execute(
        select(grid, func.count().label("open"), _sum(Event.overdue.is_(True)).label("overdue"))
        .where(*conds, _open())
        .group_by(grid)
    ).all()
    grids = {g: {"open": int(o), "overdue": int(v or 0)} for g, o, v in open_rows if len(g) == 15}
    hours = stats.fill_hours({int(h): int(n) for h, n in by_hour.items() if h is not None})
    return {
        "as_of": q.as_of,
        "region": q.region,
        "region_name": _region_names(db, {q.region}).get(q.region or "", "全部") if q.region else "全部",
        "today": sum(h["count"] for h in hours),
        "open": sum(int(o) for _, o, _ in open_rows),
        "overdue": sum(int(v or 0) for _, _, v in open_rows),
        "hours": hours,
        "grids": grids,
    }


def latest(db: Session, user: User, region: str | None = None, limit: int = 20) -> dict[str, Any]:
    """The newest events for the ticker: time, item, community and state — no names, phones,
    addresses or descriptions."""
    if not 1 <= limit <= LATEST_MAX:
        raise Invalid(f"条数须在 1 至 {LATEST_MAX} 之间", code="invalid_limit")
    q = resolve(db, user, make_query("7d", region=region))
    rows = db.execute(
        select(Event.code, Event.created_at, Event.category_code, Event.item_code, Event.state, Event.region_code,
               Event.severity)
        .where(*_scope_conds(user, q.region))
        .order_by(Event.created_at.desc(), Event.id.desc())
        .limit(limit)
    ).all()
    cats, items = current_categories(db)
    names = _region_names(db, {r.region_code[:12] for r in rows} | {r.region_code[:9] for r in rows})
    out = []
    for r in rows:
        place = "".join(names.get(r.region_code[:n], "") for n in (9, 12)) or r.region_code[:12]
        out.append({
            "code": r.code,
            "created_at": r.created_at,
            "category": cats.get(r.category_code, r.category_code),
            "item": items.get(r.item_code, r.item_code),
            "severity": r.severity,
            "state": r.state,
            "state_label": STATE_LABELS[State(r.state)],
            "place": place,
        })
    return {"as_of": utcnow(), "region": q.region, "rows": out}


# --- Excel --------------------------------------------------------------------------------------


def _pct(v: float | None) -> Any:
    return "—" if v is None else v


def export_xlsx(db: Session, user: User, q: StatsQuery) -> tuple[bytes, str]:
    """The whole dashboard as a workbook, one sheet per panel, each headed by the watermark row
    (who exported, when, the scope, the region and period); audited."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from gridgov.integration.excel import format_watermark

    q = resolve(db, user, q)
    s = summary(db, user, q)
    z = zone()
    mark = format_watermark(f"{user.username}（{user.display_name}）", utcnow().astimezone(z), s["scope"])
    mark += f"｜区域：{s['region_name']}｜统计区间：{q.days.first:%Y-%m-%d} 至 {q.days.last:%Y-%m-%d}（{s['period_label']}）"
    k = s["kpis"]
    d = disputes(db, user, q)
    v = visits(db, user, q)
    sheets: list[tuple[str, list[str], list[list[Any]], set[int]]] = [
        ("概览", ["指标", "数值"], [
            ["上报事件数", k["events"]], ["在办事件数", k["open"]], ["超期在办数", k["overdue"]],
            ["结案数", k["closed"]], ["按期结案率", _pct(k["on_time_closing_rate"])],
            ["满意率", _pct(k["satisfaction_rate"])], ["矛盾纠纷化解率", _pct(d["total"]["resolution_rate"])],
            ["特殊人群走访覆盖率", _pct(v["total"]["coverage"]) if v["available"] else "无权查看"],
        ] + [[f"流程：{f['label']}", f["count"]] for f in s["funnel"]], set()),
        ("每日趋势", ["日期", "星期", "上报数"],
         [[r["date"], r["weekday"], r["count"]] for r in daily(db, user, q)["days"]], set()),
        ("事件类别", ["类别代码", "类别", "事件数"],
         [[r["code"], r["name"], r["count"]] for r in categories(db, user, q, limit=100)["rows"]], set()),
        ("上报渠道", ["渠道代码", "渠道", "事件数"],
         [[r["code"], r["name"], r["count"]] for r in channels(db, user, q)["rows"]], set()),
        ("部门排名", ["名次", "部门", "事件数", "在办", "超期在办", "按期结案率", "满意率", "应结案（不含延期）", "评价数"],
         [[r["rank"], r["name"], r["events"], r["open"], r["overdue"], _pct(r["on_time_closing_rate"]),
           _pct(r["satisfaction_rate"]), r["due"] - r["deferred"], r["rated"]] for r in departments(db, user, q)["rows"]],
         {5, 6}),
        ("区域排名", ["区域代码", "区域", "事件数", "在办", "超期在办", "按期结案率", "满意率"],
         [[r["code"], r["name"], r["events"], r["open"], r["overdue"], _pct(r["on_time_closing_rate"]),
           _pct(r["satisfaction_rate"])] for r in regions(db, user, q)["rows"]], {5, 6}),
        ("矛盾纠纷", ["类型", "登记数", "受理数", "化解数", "化解率", "红色", "黄色", "绿色"],
         [[r["name"], r["registered"], r["accepted"], r["resolved"], _pct(r["resolution_rate"]), r["red"], r["yellow"],
           r["green"]] for r in d["rows"] + [{**d["total"], "name": "合计"}]]
         + [["纠纷类事件未登记纠纷档案", d["unregistered"], "", "", "", "", "", ""]], {4}),
        ("特殊人群走访", ["类别", "走访周期（天）", "人数", "按期走访", "逾期未访", "从未走访", "覆盖率"],
         [[r["name"], r["interval_days"], r["members"], r["covered"], r["overdue"], r["never_visited"],
           _pct(r["coverage"])] for r in v["rows"] + [{**v["total"], "name": "合计", "interval_days": ""}]], {6}),
    ]
    wb = Workbook()
    wb.remove(wb.active)
    red, bold = Font(bold=True, color="C00000"), Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for title, headers, rows, pct_cols in sheets:
        ws = wb.create_sheet(title)
        ws.append([mark])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(headers), 2))
        ws["A1"].font = red
        ws["A1"].alignment = Alignment(wrap_text=True, vertical="center")
        ws.row_dimensions[1].height = 36
        ws.append(headers)
        for cell in ws[2]:
            cell.font, cell.fill = bold, fill
        for r in rows:
            ws.append(r)
        for row in ws.iter_rows(min_row=3):
            for cell in row:
                rate_cell = cell.column - 1 in pct_cols or (title == "概览" and cell.column == 2 and
                                                            ("率" in str(ws.cell(cell.row, 1).value)))
                if rate_cell and isinstance(cell.value, float):
                    cell.number_format = "0.0%"
        for i, h in enumerate(headers):
            ws.column_dimensions[chr(ord("A") + i)].width = max(12, min(40, 2 * len(h) + 4))
        ws.freeze_panes = "A3"
    wb.properties.title = "统计分析"
    wb.properties.description = mark
    wb.properties.creator = "gridgov"
    out = io.BytesIO()
    wb.save(out)
    payload = out.getvalue()
    audit.record(db, user, "stats.export", "stats", q.region or "all",
                 detail={"watermark": mark, "bytes": len(payload), "period": q.days.period,
                         "first_day": q.days.first.isoformat(), "last_day": q.days.last.isoformat()})
    name = f"统计分析_{s['region_name']}_{q.days.first:%Y%m%d}-{q.days.last:%Y%m%d}.xlsx"
    return payload, name
