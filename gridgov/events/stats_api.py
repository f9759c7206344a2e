"""HTTP API of 统计分析: one endpoint per dashboard panel, the big screen's live figures, and the
whole dashboard as a watermarked Excel workbook. Every figure is inside the caller's visibility."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gridgov.access.deps import CurrentUser, Db
from gridgov.events import stats_service as service
from gridgov.openapi import err, errors, xlsx

router = APIRouter(prefix="/api/v1/stats", tags=["stats"], responses=errors(401))

Period = Annotated[
    Literal["7d", "30d", "year", "custom"],
    Query(description="统计周期：7d 近7天（含今天）| 30d 近30天 | year 今年 | custom 自定义（须给 since 与 until）"),
]
Since = Annotated[date | None, Query(description="自定义周期的起始日期（本地日期，含），如 2026-11-01")]
Until = Annotated[date | None, Query(description="自定义周期的结束日期（本地日期，含），如 2026-11-30")]
RegionCode = Annotated[
    str | None,
    Query(
        pattern=r"^\d{6}(\d{3}){0,3}$",
        description="下钻到的区域：县 6 位、乡镇街道 9 位、村社区 12 位、网格 15 位；缺省为您权限范围的顶层",
        examples=["211021001"],
    ),
]
Rate = Annotated[float | None, Field(ge=0, le=1, description="0–1；分母为 0 时为 null（显示“—”）")]

_RESPONSES: dict[int | str, dict[str, Any]] = (
    err(403, "out_of_scope", "该区域不在您的权限范围内",
        "无权查看统计（群众账号：permission_denied），或区域不在您的权限范围内（out_of_scope）")
    | err(404, "region_not_found", "区域不存在：211021999", "区域不存在")
    | err(422, "invalid_range", "起始日期不能晚于结束日期",
          "参数有误：未知周期、日期范围无效（invalid_range、range_too_long）、区域代码格式不对（invalid_request）")
)


class PathItem(BaseModel):
    code: str
    name: str
    level: str | None


class Context(BaseModel):
    period: str = Field(description="7d / 30d / year / custom")
    period_label: str = Field(description="近7天 / 近30天 / 今年 / 自定义")
    first_day: date = Field(description="统计的第一天（本地日期）")
    last_day: date = Field(description="统计的最后一天（本地日期，含）")
    since: datetime = Field(description="统计起点（UTC）：事件上报时间 ≥ since")
    until: datetime = Field(description="统计终点（UTC）：事件上报时间 < until")
    as_of: datetime = Field(description="各项状态截至此刻")
    region: str | None = Field(description="当前区域代码（null：全部）")
    region_name: str
    region_level: str | None = Field(description="county / street / community / grid")
    child_level: str | None = Field(description="下一级的层级（区域排名按此分组）")
    child_level_label: str | None
    path: list[PathItem] = Field(description="面包屑：从您权限范围的顶层到当前区域")
    scope: str = Field(description="您的数据范围（全部 / 区划代码 / 本部门）")


_CTX = {
    "period": "30d",
    "period_label": "近30天",
    "first_day": "2026-11-02",
    "last_day": "2026-12-01",
    "since": "2026-11-01T16:00:00Z",
    "until": "2026-12-01T16:00:00Z",
    "as_of": "2026-12-01T02:00:00Z",
    "region": "211021",
    "region_name": "辽阳县",
    "region_level": "county",
    "child_level": "street",
    "child_level_label": "乡镇（街道）",
    "path": [{"code": "211021", "name": "辽阳县", "level": "county"}],
    "scope": "211021",
}


class Kpis(BaseModel):
    events: int = Field(description="上报事件数（统计周期内上报）")
    open: int = Field(description="其中仍在办（未结案、未不予受理、未合并）")
    overdue: int = Field(description="其中在办且当前环节已超期")
    closed: int = Field(description="结案数（已结案或已评价）")
    due: int = Field(description="应结案数")
    deferred: int = Field(description="延期数")
    closed_on_time: int = Field(description="按期结案数")
    rated: int = Field(description="评价数")
    satisfied: int = Field(description="满意 + 基本满意")
    accepted: int = Field(description="受理数")
    dispatched: int = Field(description="派遣数")
    handled: int = Field(description="处置数")
    merged: int = Field(description="合并数")
    rejected: int = Field(description="不予受理数")
    on_time_closing_rate: Rate = Field(description="按期结案率 = 按期结案数 / (应结案数 − 延期数)")
    satisfaction_rate: Rate = Field(description="满意率 = (满意 + 基本满意) / 评价数")


class FunnelStage(BaseModel):
    stage: Literal["reported", "accepted", "dispatched", "handled", "closed", "evaluated"]
    label: str
    count: int
    share: Rate = Field(description="占上报数的比例")


class SummaryOut(Context):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_CTX,
        "kpis": {"events": 6800, "open": 120, "overdue": 9, "closed": 6400, "due": 6500, "deferred": 40,
                 "closed_on_time": 6100, "rated": 4200, "satisfied": 4000, "accepted": 6500, "dispatched": 5000,
                 "handled": 4900, "merged": 150, "rejected": 200, "on_time_closing_rate": 0.9443,
                 "satisfaction_rate": 0.9524},
        "funnel": [{"stage": "reported", "label": "上报", "count": 6800, "share": 1.0},
                   {"stage": "accepted", "label": "受理", "count": 6500, "share": 0.9559}],
    }]})
    kpis: Kpis
    funnel: list[FunnelStage]


class DayCount(BaseModel):
    date: date
    weekday: str = Field(description="周一 … 周日")
    count: int


class DailyOut(Context):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_CTX, "days": [{"date": "2026-11-30", "weekday": "周一", "count": 231}]}]})
    days: list[DayCount] = Field(description="统计周期内每一天（无事件的日子为 0）")


class NamedCount(BaseModel):
    code: str
    name: str
    count: int


class CountsOut(Context):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_CTX, "total": 6800, "rows": [{"code": "CG", "name": "城市管理", "count": 2700},
                                        {"code": "_other", "name": "其他（6类）", "count": 120}]}]})
    total: int
    rows: list[NamedCount]


class Figures(BaseModel):
    events: int
    open: int
    overdue: int
    closed: int
    due: int
    deferred: int
    closed_on_time: int
    rated: int
    satisfied: int
    on_time_closing_rate: Rate = Field(description="按期结案率")
    satisfaction_rate: Rate = Field(description="满意率")


class DepartmentRow(Figures):
    id: int
    name: str
    rank: int = Field(description="按按期结案率、再按满意率排名")


class DepartmentsOut(Context):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_CTX, "rows": [{
        "id": 14, "name": "辽阳县城市管理综合行政执法局", "rank": 1, "events": 2600, "open": 30, "overdue": 2,
        "closed": 2500, "due": 2550, "deferred": 10, "closed_on_time": 2400, "rated": 1700, "satisfied": 1650,
        "on_time_closing_rate": 0.9449, "satisfaction_rate": 0.9706}]}]})
    rows: list[DepartmentRow]


class RegionRow(Figures):
    code: str
    name: str
    level: str | None
    drillable: bool = Field(description="可以继续下钻（县、乡镇街道、村社区、网格）")


class RegionsOut(Context):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_CTX, "rows": [{
        "code": "211021001", "name": "晨光街道", "level": "street", "drillable": True, "events": 3100, "open": 50,
        "overdue": 4, "closed": 2900, "due": 2950, "deferred": 20, "closed_on_time": 2800, "rated": 1900,
        "satisfied": 1800, "on_time_closing_rate": 0.9589, "satisfaction_rate": 0.9474}]}]})
    rows: list[RegionRow]


class DisputeCounts(BaseModel):
    registered: int = Field(description="登记数")
    accepted: int = Field(description="受理数（不含不予受理、合并）")
    resolved: int = Field(description="化解数")
    pending_in_time: int = Field(description="在办未超期数")
    red: int
    yellow: int
    green: int
    resolution_rate: Rate = Field(description="化解率 = 化解数 / 受理数")
    settled_rate: Rate = Field(description="办结化解率 = 化解数 / (受理数 − 在办未超期数)")


class DisputeRow(DisputeCounts):
    type: str
    name: str = Field(description="纠纷类型（家庭、邻里、物业 …）")


class ColourCount(BaseModel):
    colour: Literal["green", "yellow", "red"]
    name: str
    count: int


class DisputesOut(Context):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_CTX, "rows": [{
        "type": "neighbour", "name": "邻里", "registered": 40, "accepted": 38, "resolved": 33, "pending_in_time": 3,
        "red": 2, "yellow": 8, "green": 30, "resolution_rate": 0.8684, "settled_rate": 0.9429}],
        "total": {"registered": 40, "accepted": 38, "resolved": 33, "pending_in_time": 3, "red": 2, "yellow": 8,
                  "green": 30, "resolution_rate": 0.8684, "settled_rate": 0.9429},
        "colours": [{"colour": "red", "name": "红色", "count": 2}], "unregistered": 3}]})
    rows: list[DisputeRow]
    total: DisputeCounts
    colours: list[ColourCount]
    unregistered: int = Field(description="统计周期内的纠纷类事件（is_dispute）中尚未登记纠纷档案的件数（不计入上面各项）")


class Coverage(BaseModel):
    members: int = Field(description="在册人数")
    covered: int = Field(description="在走访周期内已走访（下次走访未到期）")
    overdue: int = Field(description="逾期未走访")
    never_visited: int = Field(description="从未走访")
    coverage: Rate = Field(description="走访覆盖率 = 按期走访 / 在册人数")


class CoverageRow(Coverage):
    group: str
    name: str
    interval_days: int | None = Field(description="该类人群要求的走访周期（天）")


class VisitsOut(Context):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_CTX, "available": True, "as_of_day": "2026-12-01",
        "rows": [{"group": "community_correction", "name": "社区矫正对象", "interval_days": 7, "members": 12,
                  "covered": 10, "overdue": 2, "never_visited": 0, "coverage": 0.8333}],
        "total": {"members": 12, "covered": 10, "overdue": 2, "never_visited": 0, "coverage": 0.8333}}]})
    available: bool = Field(description="false：您的角色不能查看人口登记数据（部门人员）")
    as_of_day: date
    rows: list[CoverageRow]
    total: Coverage


class HourCount(BaseModel):
    hour: int = Field(ge=0, le=23)
    count: int


class GridFigures(BaseModel):
    open: int
    overdue: int


class LiveOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "as_of": "2026-12-01T02:00:00Z", "region": "211021", "region_name": "辽阳县", "today": 96, "open": 120,
        "overdue": 9, "hours": [{"hour": 9, "count": 14}], "grids": {"211021001001001": {"open": 3, "overdue": 1}}}]})
    as_of: datetime
    region: str | None
    region_name: str
    today: int = Field(description="今日上报数（本地时间零点起）")
    open: int = Field(description="当前在办事件数（不限上报时间）")
    overdue: int = Field(description="当前超期在办数")
    hours: list[HourCount] = Field(description="今日每小时上报数（24 个）")
    grids: dict[str, GridFigures] = Field(description="各网格当前在办、超期数（网格代码 → 数字）")


class TickerRow(BaseModel):
    code: str = Field(description="事件编号")
    created_at: datetime
    category: str
    item: str = Field(description="事项名称（不含上报人、电话、地址、描述）")
    severity: str
    state: str
    state_label: str
    place: str = Field(description="乡镇街道 + 村社区名称")


class LatestOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"as_of": "2026-12-01T02:00:00Z", "region": "211021",
        "rows": [{"code": "SJ2026120100012", "created_at": "2026-12-01T01:58:00Z", "category": "城市管理",
                  "item": "机动车乱停放", "severity": "normal", "state": "reported", "state_label": "已上报",
                  "place": "晨光街道复兴社区"}]}]})
    as_of: datetime
    region: str | None
    rows: list[TickerRow]


def _query(db: Db, user: CurrentUser, period: Period = "30d", since: Since = None, until: Until = None,
           region: RegionCode = None) -> Any:
    """The panel's cohort from the shared query parameters (period or since/until, region), resolved
    within the user's visibility; every panel route takes it as one dependency."""
    return service.resolve(db, user, service.make_query(period, since=since, until=until, region=region))


StatsQuery = Annotated[Any, Depends(_query)]


@router.get("/summary", response_model=SummaryOut, responses=_RESPONSES,
            summary="KPI 与流程漏斗：上报、在办、超期、按期结案率、满意率，上报→受理→派遣→处置→结案→评价")
def get_summary(db: Db, user: CurrentUser, q: StatsQuery) -> Any:
    """统计周期内上报、且在您可见范围内的事件；状态截至此刻。"""
    return service.summary(db, user, q)


@router.get("/daily", response_model=DailyOut, responses=_RESPONSES, summary="每日上报量（含无事件的日子）")
def get_daily(db: Db, user: CurrentUser, q: StatsQuery) -> Any:
    return service.daily(db, user, q)


@router.get("/categories", response_model=CountsOut, responses=_RESPONSES,
            summary="按事件类别的上报量（前 12 类，其余合为“其他”）")
def get_categories(db: Db, user: CurrentUser, q: StatsQuery,
                   top: Annotated[int, Query(ge=1, le=100, description="列出的类别数")] = 12) -> Any:
    return service.categories(db, user, q, limit=top)


@router.get("/channels", response_model=CountsOut, responses=_RESPONSES, summary="按上报渠道的上报量")
def get_channels(db: Db, user: CurrentUser, q: StatsQuery) -> Any:
    return service.channels(db, user, q)


@router.get("/departments", response_model=DepartmentsOut, responses=_RESPONSES,
            summary="部门排名：按期结案率、满意率（主办部门）")
def get_departments(db: Db, user: CurrentUser, q: StatsQuery) -> Any:
    return service.departments(db, user, q)


@router.get("/regions", response_model=RegionsOut, responses=_RESPONSES,
            summary="下一级区域的事件数、在办、超期、按期结案率、满意率（用于下钻）")
def get_regions(db: Db, user: CurrentUser, q: StatsQuery) -> Any:
    return service.regions(db, user, q)


@router.get("/disputes", response_model=DisputesOut, responses=_RESPONSES,
            summary="矛盾纠纷：按类型的登记、受理、化解数与化解率，三色分布")
def get_disputes(db: Db, user: CurrentUser, q: StatsQuery) -> Any:
    return service.disputes(db, user, q)


@router.get("/visits", response_model=VisitsOut, responses=_RESPONSES,
            summary="特殊人群走访覆盖率：按类别，在走访周期内已走访 / 在册人数（当前）")
def get_visits(db: Db, user: CurrentUser, q: StatsQuery) -> Any:
    return service.visits(db, user, q)


@router.get("/live", response_model=LiveOut, responses=_RESPONSES,
            summary="大屏实时数据：今日上报（按小时）、当前在办与超期（按网格）")
def get_live(db: Db, user: CurrentUser, region: RegionCode = None) -> Any:
    return service.live(db, user, region)


@router.get("/latest", response_model=LatestOut, responses=_RESPONSES,
            summary="最新事件滚动条（已脱敏：只含时间、事项、社区、状态）")
def get_latest(db: Db, user: CurrentUser, region: RegionCode = None,
               limit: Annotated[int, Query(ge=1, le=service.LATEST_MAX, description="条数")] = 20) -> Any:
    return service.latest(db, user, region, limit)


@router.get("/dashboard.xlsx", response_class=Response,
            summary="整个统计看板导出为 Excel（每个面板一张表，首行水印：导出人、时间、范围）",
            responses=xlsx("工作簿：概览、每日趋势、事件类别、上报渠道、部门排名、区域排名、矛盾纠纷、特殊人群走访，"
                           "每张表首行为水印") | _RESPONSES)
def get_xlsx(db: Db, user: CurrentUser, q: StatsQuery) -> Response:
    data, filename = service.export_xlsx(db, user, q)
    return Response(data, media_type=service.XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"dashboard.xlsx\"; filename*=UTF-8''{quote(filename)}"})
