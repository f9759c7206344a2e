"""HTTP API of 考核评价: the indicators (JSON and Excel), their definitions, and the departments'
reverse evaluation by grid workers and the centre."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from gridgov.access.deps import CurrentUser, Db
from gridgov.events import metrics_service as service
from gridgov.openapi import XLSX, err, errors

router = APIRouter(prefix="/api/v1", tags=["events"], responses=errors(401))

EventRef = Annotated[str, Path(pattern=r"^(\d{1,10}|SJ\d{8,20})$", description="Event id or code")]
Rate = Annotated[
    float | None, Field(ge=0, le=1, description="0–1; null (shown “—”) when the denominator is 0")
]


class MetricsRow(BaseModel):
    key: str = Field(
        description="Department id (0: none), region code prefix, grid worker user id, or period"
    )
    label: str = Field(description="Department / region / grid worker name, or the period (2026年11月)")
    reported: int = Field(description="上报数")
    merged: int = Field(description="合并数")
    rejected: int = Field(description="不予受理数")
    self_resolved: int = Field(description="自处置数")
    accepted: int = Field(description="受理数")
    dispatched: int = Field(description="派遣数")
    handled: int = Field(description="处置数")
    handled_on_time: int = Field(description="按期处置数")
    reworked: int = Field(description="返工数")
    closed: int = Field(description="结案数")
    due: int = Field(description="应结案数")
    deferred: int = Field(description="延期数")
    closed_on_time: int = Field(description="按期结案数")
    ever_overdue: int = Field(description="超期数")
    rated: int = Field(description="评价数")
    satisfied: int = Field(description="满意数")
    basic: int = Field(description="基本满意数")
    unsatisfied: int = Field(description="不满意数")
    reviews: int = Field(description="部门评价数（反向评价）")
    acceptance_rate: Rate = Field(description="受理率 = 受理数 / (上报数 − 合并数)")
    handling_rate: Rate = Field(description="处置率 = 处置数 / 派遣数")
    on_time_handling_rate: Rate = Field(description="按期处置率 = 按期处置数 / 处置数")
    closing_rate: Rate = Field(description="结案率 = 结案数 / (上报数 − 不予受理数 − 合并数)")
    on_time_closing_rate: Rate = Field(description="按期结案率 = 按期结案数 / (应结案数 − 延期数)")
    rework_rate: Rate = Field(description="返工率 = 返工数 / 处置数")
    avg_handle_hours: float | None = Field(description="平均处置时长：派遣到处置反馈的平均工作小时")
    satisfaction_rate: Rate = Field(description="满意率 = (满意 + 基本满意) / 评价数")
    dissatisfaction_rate: Rate = Field(description="不满意率 = 不满意 / 评价数")
    avg_routing_score: float | None = Field(description="分流评分均值（1–5）")
    avg_handling_score: float | None = Field(description="办理评分均值（1–5）")
    avg_effect_score: float | None = Field(description="效果评分均值（1–5）")


# real answers of the tiny demo
_EXAMPLE_ROW = {"key": "22", "label": "辽阳县民政局", "reported": 51, "merged": 1, "rejected": 1,
                "self_resolved": 0, "accepted": 49, "dispatched": 49, "handled": 49, "handled_on_time": 43,
                "reworked": 4, "closed": 49, "due": 49, "deferred": 0, "closed_on_time": 42,
                "ever_overdue": 6, "rated": 21, "satisfied": 12, "basic": 7, "unsatisfied": 2, "reviews": 1,
                "acceptance_rate": 0.98, "handling_rate": 1.0, "on_time_handling_rate": 0.8776,
                "closing_rate": 1.0, "on_time_closing_rate": 0.8571, "rework_rate": 0.0816,
                "avg_handle_hours": 33.28, "satisfaction_rate": 0.9048, "dissatisfaction_rate": 0.0952,
                "avg_routing_score": 5.0, "avg_handling_score": 4.0, "avg_effect_score": 4.0}
_EXAMPLE_TOTAL = {"key": "total", "label": "合计", "reported": 2190, "merged": 51, "rejected": 74,
                  "self_resolved": 141, "accepted": 2064, "dispatched": 1923, "handled": 1910,
                  "handled_on_time": 1804, "reworked": 96, "closed": 2046, "due": 2047, "deferred": 0,
                  "closed_on_time": 1748, "ever_overdue": 106, "rated": 1023, "satisfied": 825, "basic": 149,
                  "unsatisfied": 49, "reviews": 1, "acceptance_rate": 0.9649, "handling_rate": 0.9932,
                  "on_time_handling_rate": 0.9445, "closing_rate": 0.9908, "on_time_closing_rate": 0.8539,
                  "rework_rate": 0.0503, "avg_handle_hours": 19.0, "satisfaction_rate": 0.9521,
                  "dissatisfaction_rate": 0.0479, "avg_routing_score": 5.0, "avg_handling_score": 4.0,
                  "avg_effect_score": 4.0}


class MetricsOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**{"group": "department", "group_label": "部门", "level": None, "period": None, "region": None, "since": "2025-11-30T16:00:00Z", "until": "2026-12-01T16:00:00Z", "as_of": "2026-12-01T21:59:34.846042Z", "scope": "211021"}, "rows": [_EXAMPLE_ROW], "total": _EXAMPLE_TOTAL}
            ]
        }
    )

    group: Literal["department", "region", "grid_worker", "period"]
    group_label: str
    level: str | None = Field(None, description="Region level when grouping by region")
    period: str | None = Field(None, description="day / week / month when grouping by period")
    region: str | None = Field(None, description="Region subtree the query was narrowed to")
    since: datetime = Field(description="Start of the range (events reported at or after it)")
    until: datetime = Field(description="End of the range (events reported before it)")
    as_of: datetime = Field(description="Every count is as of this moment")
    scope: str = Field(description="The exporter's scope (全部 / region codes / 本部门)")
    rows: list[MetricsRow]
    total: MetricsRow


class DefinitionOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "on_time_closing_rate", "label": "按期结案率", "numerator": "按期结案数（应结案、未延期，且结案时间不晚于处置时限）",
                 "denominator": "应结案数 − 延期数",
                 "numerator_sql": "应结案 AND NOT extended AND closed_at IS NOT NULL AND (handle_due_at IS NULL OR closed_at ≤ handle_due_at)",
                 "denominator_sql": "应结案：state NOT IN ('merged','rejected') AND (closed_at IS NOT NULL OR handle_due_at ≤ 统计时点)；延期：应结案 AND extended",
                 "unit": "rate", "note": "结案时限取处置时限 handle_due_at；批准延期的事件不参与考核（分子分母均不计）"}
            ]
        }
    )

    name: str
    label: str
    numerator: str
    denominator: str
    numerator_sql: str
    denominator_sql: str
    unit: Literal["rate", "hours", "score"]
    note: str


Score = Annotated[StrictInt, Field(ge=1, le=5)]


class ReviewIn(BaseModel):
    """反向评价: 1 (poor) to 5 (excellent) for each of 分流, 办理, 效果."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "routing_score": 5,
                    "handling_score": 4,
                    "effect_score": 4,
                    "comment": "处置及时，但现场清理不够彻底",
                }
            ]
        }
    )

    routing_score: Score = Field(description="分流：派遣是否准确、部门是否及时接手")
    handling_score: Score = Field(description="办理：办理态度、速度与配合")
    effect_score: Score = Field(description="效果：问题是否真正解决")
    comment: StrictStr | None = Field(None, max_length=500)


class ReviewOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 1, "event_id": 118, "department_id": 22, "department": "辽阳县民政局", "reviewer_user_id": 2,
                 "reviewer": "中心坐席 李娜", "routing_score": 5, "handling_score": 4, "effect_score": 4,
                 "comment": "处置及时，但现场清理不够彻底", "created_at": "2026-12-01T21:46:24.258150Z"}
            ]
        }
    )

    id: int
    event_id: int
    department_id: int
    department: str | None
    reviewer_user_id: int
    reviewer: str | None
    routing_score: int
    handling_score: int
    effect_score: int
    comment: str | None
    created_at: datetime


Group = Annotated[
    Literal["department", "region", "grid_worker", "period"],
    Query(description="department 部门 | region 区域 | grid_worker 网格员（其上报的事件）| period 时段"),
]
Level = Annotated[
    Literal["county", "street", "community", "grid"] | None,
    Query(
        description="Region level when group=region (default street): county 6 / street 9 / community 12 / grid 15 digits"
    ),
]
Period = Annotated[
    Literal["day", "week", "month"] | None, Query(description="When group=period (default month)")
]
Since = Annotated[
    datetime | None, Query(description="Reported at or after (naive = local time); default 30 days ago")
]
Until = Annotated[datetime | None, Query(description="Reported before (naive = local time); default now")]
Region = Annotated[str | None, Query(pattern=r"^\d{2,17}$", description="Only events in this region subtree")]

_RESPONSES: dict[int | str, dict[str, Any]] = err(
    403, "permission_denied", "您的角色无权执行此操作", "Not a leader, operator, admin or handler"
) | err(422, "invalid_range", "统计起始时间须早于结束时间", "Bad range or parameters")


@router.get(
    "/metrics",
    response_model=MetricsOut,
    responses=_RESPONSES,
    summary="考核指标: rates per department, region, grid worker or period (within your scope)",
)
def get_metrics(
    db: Db,
    user: CurrentUser,
    group: Group = "department",
    level: Level = None,
    period: Period = None,
    since: Since = None,
    until: Until = None,
    region: Region = None,
) -> Any:
    q = service.make_query(group, level=level, period=period, since=since, until=until, region=region)
    return service.compute(db, user, q)


@router.get(
    "/metrics.xlsx",
    response_class=Response,
    summary="考核指标 as Excel (watermarked, formulas explained)",
    responses={
        200: {
            "content": {XLSX: {"schema": {"type": "string", "format": "binary"}}},
            "description": "The workbook（带水印，附指标口径说明）",
        },
        **_RESPONSES,
    },
)
def get_metrics_xlsx(
    db: Db,
    user: CurrentUser,
    group: Group = "department",
    level: Level = None,
    period: Period = None,
    since: Since = None,
    until: Until = None,
    region: Region = None,
) -> Response:
    q = service.make_query(group, level=level, period=period, since=since, until=until, region=region)
    data, filename = service.export_xlsx(db, user, q)
    return Response(
        data,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename=\"metrics.xlsx\"; filename*=UTF-8''{quote(filename)}"
        },
    )


@router.get(
    "/metrics/definitions",
    response_model=list[DefinitionOut],
    summary="How each indicator is computed (numerator, denominator, in words and SQL terms)",
)
def get_definitions(user: CurrentUser) -> Any:
    return service.definitions()


@router.post(
    "/events/{ref}/department-review",
    status_code=201,
    response_model=ReviewOut,
    summary="反向评价: the event's grid worker or the centre scores the department that handled it",
    responses={
        **err(403, "permission_denied", "您的角色无权执行此操作", "Not the grid worker of the event's grid, nor the centre"),
        **err(404, "event_not_found", "事件不存在或不在您的权限范围内", "No such event in your scope"),
        **err(
            409,
            "event_not_closed",
            "事件结案后才能评价处置部门",
            "Event not closed yet (event_not_closed), or you have already reviewed it (already_reviewed)",
            {"state": "dispatched"},
        ),
        **errors(422),
    },
)
def post_review(ref: EventRef, body: ReviewIn, db: Db, user: CurrentUser) -> Any:
    return service.review_department(db, user, ref, body.model_dump())


@router.get(
    "/events/{ref}/department-reviews",
    response_model=list[ReviewOut],
    summary="The reverse evaluations of an event's department",
    responses=errors(422) | err(404, "event_not_found", "事件不存在或不在您的权限范围内"),
)
def get_reviews(ref: EventRef, db: Db, user: CurrentUser) -> Any:
    return service.reviews_of(db, user, ref)
