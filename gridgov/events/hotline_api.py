"""HTTP API for 12345 hotline work orders: template, bulk import (file or JSON), the import's error
report, and the webhook for single orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, Header, Path, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

from gridgov.access.deps import CurrentUser, Db
from gridgov.events import hotline
from gridgov.integration.http import upload_bytes, xlsx_response
from gridgov.openapi import err, errors, xlsx

router = APIRouter(prefix="/api/v1/hotline", tags=["hotline"], responses=errors(401))
MAX_UPLOAD = 50 * 1024 * 1024
MAX_JSON_ORDERS = 5000
RegionCode = Annotated[
    str | None,
    Query(
        pattern=r"^\d{6,17}$",
        description=("Region for orders without a point (default: your scope root, e.g. the county)"),
    ),
]
Number = StrictFloat | StrictInt

ORDER_EXAMPLE = {
    "number": "LY20261125000123",
    "called_at": "2026-11-25 09:30",
    "caller_name": "张先生",
    "caller_phone": "13812345678",
    "category": "城市管理-井盖缺失破损",
    "description": "人民路12号门前井盖缺失，夜间行人易跌落",
    "address": "人民路12号",
    "lon": 123.116345,
    "lat": 41.211411,
    "urgency": "紧急",
}


class HotlineOrderIn(BaseModel):
    """One 12345 work order (the fields of the import template, with English keys)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                ORDER_EXAMPLE,
                {
                    "number": "LY20261125000124",
                    "item_code": "CG012",
                    "description": "幸福家园小区门口路灯不亮",
                    "address": "幸福路8号",
                    "region_code": "211021",
                },
            ]
        },
    )

    number: StrictStr = Field(
        min_length=1, max_length=64, description="The hotline's work order number (工单编号)"
    )
    called_at: StrictStr | None = Field(
        None, max_length=40, description="来电时间, e.g. 2026-11-25 09:30 or ISO 8601"
    )
    caller_name: StrictStr | None = Field(None, max_length=60, description="诉求人")
    caller_phone: StrictStr | None = Field(None, max_length=20, description="联系电话")
    item_code: StrictStr | None = Field(None, max_length=16, description="Catalog item code (事项编码)")
    category: StrictStr | None = Field(
        None, max_length=100, description="诉求类别, matched to an item by name/keywords if no item_code"
    )
    description: StrictStr = Field(min_length=2, max_length=4000, description="诉求内容")
    address: StrictStr | None = Field(None, max_length=200, description="地址")
    lon: Number | None = Field(None, ge=-180, le=180, description="经度")
    lat: Number | None = Field(None, ge=-90, le=90, description="纬度")
    crs: Literal["wgs84", "gcj02", "bd09"] | None = Field(
        None, description="Coordinate system (default wgs84)"
    )
    urgency: StrictStr | None = Field(
        None, max_length=10, description="紧急程度: 一般/紧急/特急/加急/轻微 or a severity code"
    )
    region_code: StrictStr | None = Field(
        None,
        pattern=r"^\d{6,17}$",
        description="Region for an order without a point (default: your scope root)",
    )


class HotlineOrderOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 2193,
                    "code": "SJ202612010002193",
                    "tracking_code": "P4Y24MFKFV",
                    "external_id": "LY20261125000123",
                    "region_code": "21102100100100102",
                    "grid_code": "21102100100100102",
                    "state": "reported",
                    "state_label": "已上报",
                    "created": True,
                }
            ]
        }
    )

    id: int
    code: str = Field(description="Our event code")
    tracking_code: str = Field(description="The caller can follow the case with it (no login)")
    external_id: str | None
    region_code: str = Field(description="The grid if the order had a point, else the region it was filed at")
    grid_code: str | None
    state: str
    state_label: str
    created: bool = Field(description="False: a replay of an order already received")


class FiledOrder(BaseModel):
    row: int
    number: str
    event_code: str
    status: Literal["created", "unchanged"]


class HotlineImportOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 3,
                    "entity": "hotline",
                    "filename": "orders.json",
                    "encoding": "json",
                    "at": "2026-12-01T21:43:06.306419Z",
                    "total": 3,
                    "created": 1,
                    "unchanged": 1,
                    "quarantined": 1,
                    "empty_rows": 0,
                    "warnings": [],
                    "error_report": "/api/v1/hotline/imports/3/errors.xlsx",
                    "quarantine": [{"row": 3, "reasons": ["事项编码：事项编码 'XX999' 不在现行事项清单中"]}],
                    "orders": [
                        {"row": 1, "number": "LY20261125000123", "event_code": "SJ202612010002193", "status": "unchanged"},
                        {"row": 2, "number": "LY20261125000124", "event_code": "SJ202612010002194", "status": "created"},
                    ],
                }
            ]
        }
    )

    id: int
    entity: str
    filename: str
    encoding: str | None
    at: datetime
    total: int
    created: int
    unchanged: int
    quarantined: int
    empty_rows: int
    warnings: list[str]
    error_report: str | None = Field(description="Download the quarantined rows, fix and re-import")
    quarantine: list[dict[str, Any]] = Field(description="The first 200 quarantined rows with their reasons")
    orders: list[FiledOrder] | None = Field(None, description="Filed rows → our event codes (first 1000)")


@router.get(
    "/template.xlsx",
    response_class=Response,
    summary="Download the 12345 work order import template",
    responses=xlsx("12345 热线工单导入模板（Excel，含填写说明）"),
)
def template(user: CurrentUser):
    return xlsx_response(hotline.template(), "12345热线工单导入模板.xlsx")


@router.post(
    "/imports",
    response_model=HotlineImportOut,
    summary="Import 12345 work orders from .xlsx, .csv (UTF-8/GBK) or .json",
    responses=errors(422)
    | err(403, "permission_denied", "您的角色无权执行此操作", "不是中心坐席或管理员")
    | err(413, "too_large", "文件超过 50 MB，请拆分后导入"),
)
async def import_file(
    db: Db,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description=".xlsx, .csv or .json (array of orders)")],
    region_code: RegionCode = None,
) -> Any:
    """Good rows become events (channel hotline, the order number kept as external_id); bad rows are
    quarantined with reasons (see `error_report`); importing the same file again changes nothing."""
    data = await upload_bytes(file, MAX_UPLOAD, "文件超过 50 MB，请拆分后导入")
    run, filed = hotline.import_file(db, user, data, file.filename or "upload", region_code)
    return hotline.run_out(db, run, filed)


@router.post(
    "/imports/json",
    response_model=HotlineImportOut,
    summary="Import a JSON array of 12345 work orders (bad orders are quarantined, not refused)",
    responses=errors(403, 422) | err(413, "too_many_rows", "工单数超过上限 200000 条，请拆分后导入", "工单过多"),
)
def import_json(
    db: Db,
    user: CurrentUser,
    orders: Annotated[list[dict[str, Any]], Body(max_length=MAX_JSON_ORDERS, examples=[[ORDER_EXAMPLE]])],
    region_code: RegionCode = None,
) -> Any:
    run, filed = hotline.import_orders(db, user, orders, region_code)
    return hotline.run_out(db, run, filed)


@router.get(
    "/imports/{run_id}",
    response_model=HotlineImportOut,
    summary="A hotline import: counts and quarantine",
    responses=errors(403, 422) | err(404, "import_not_found", "导入记录不存在"),
)
def import_run(run_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: Db, user: CurrentUser) -> Any:
    return hotline.run_out(db, hotline.get_run(db, user, run_id))


@router.get(
    "/imports/{run_id}/errors.xlsx",
    response_class=Response,
    summary="The quarantined orders with reasons, ready to fix and re-import",
    responses=xlsx("被隔离的工单及原因（Excel），改正后可直接再次导入")
    | errors(403, 422)
    | err(404, "import_not_found", "导入记录不存在"),
)
def import_errors(run_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: Db, user: CurrentUser):
    return xlsx_response(hotline.error_report(db, user, run_id), f"12345工单导入错误报告-{run_id}.xlsx")


@router.post(
    "/orders",
    status_code=201,
    response_model=HotlineOrderOut,
    summary="Webhook: receive one 12345 work order; idempotent by its number",
    responses={
        200: {"description": "Replay of an order already received (same event)"},
        **errors(403),
        **err(
            409,
            "idempotency_key_reused",
            "工单编号已存在且内容不同（已登记为事件 SJ202612010002193）",
            "The number was used for an order with different content",
            {"event_code": "SJ202612010002193"},
        ),
        **err(
            422,
            "unknown_item",
            "事项编码 'XX999' 不在现行事项清单中",
            "Unknown item, unmatched category, point outside the territory, ...",
            {"item_code": "XX999"},
        ),
    },
)
def receive_order(
    body: HotlineOrderIn,
    response: Response,
    db: Db,
    user: CurrentUser,
    idempotency_key: Annotated[
        str | None, Header(max_length=64, description=("Optional; must equal the order number"))
    ] = None,
) -> Any:
    e, created = hotline.receive_order(db, user, body.model_dump(exclude_none=True), idempotency_key)
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replay"] = "true"
    from gridgov.events.service import event_out

    out = event_out(e)
    return {**out, "tracking_code": e.tracking_code, "created": created}
