"""API shapes of the events domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, model_validator

Number = StrictFloat | StrictInt
Severity = Literal["low", "normal", "high", "urgent"]
Rating = Literal["satisfied", "basic", "unsatisfied"]


class _Located(BaseModel):
    lon: Number | None = Field(None, ge=-180, le=180, description="WGS84 longitude (or GCJ-02/BD-09 with crs)")
    lat: Number | None = Field(None, ge=-90, le=90)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    region_code: StrictStr | None = Field(None, pattern=r"^\d{6,17}$",
                                          description="When there is no point: the deepest known region")
    address: StrictStr | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _where(self):
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon 与 lat 须同时提供")
        return self


class EventIn(_Located):
    """A report by a grid worker (channel ``grid``) or entered at the centre (``centre``/``hotline``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "client_id": "6f1c2a9e-0d5b-4c1e-9a51-2b7d3c4e5f60", "item_code": "SR001",
        "description": "人民路12号门前占道经营，影响通行", "lon": 123.0412, "lat": 41.2705,
        "attachment_ids": [1]}]})

    client_id: StrictStr | None = Field(None, min_length=8, max_length=64,
                                        description="Idempotency key chosen by the client (retry-safe)")
    channel: Literal["grid", "centre", "hotline"] = "grid"
    item_code: StrictStr = Field(min_length=1, max_length=16, description="Catalog item (事项) code")
    severity: Severity | None = None
    title: StrictStr | None = Field(None, max_length=120)
    description: StrictStr = Field(min_length=2, max_length=4000)
    external_id: StrictStr | None = Field(None, max_length=64, description="e.g. the 12345 work order number")
    reporter_name: StrictStr | None = Field(None, max_length=60)
    reporter_phone: StrictStr | None = Field(None, max_length=20)
    self_resolve: bool = Field(False, description="Grid worker solved it on the spot (item must allow it)")
    result: StrictStr | None = Field(None, max_length=2000, description="What was done, when self-resolving")
    is_dispute: bool = False
    attachment_ids: list[StrictInt] = Field(default_factory=list, max_length=9)


class ResidentReportIn(_Located):
    """随手拍: anyone may report; phone optional."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "item_code": "SR001", "description": "小区门口垃圾堆放三天无人清理", "lon": 123.0412, "lat": 41.2705,
        "phone": "13812345678", "client_id": "web-8c0e6c7a2f3b"}]})

    client_id: StrictStr | None = Field(None, min_length=8, max_length=64)
    item_code: StrictStr = Field(min_length=1, max_length=16)
    description: StrictStr = Field(min_length=2, max_length=2000)
    name: StrictStr | None = Field(None, max_length=30)
    phone: StrictStr | None = Field(None, pattern=r"^1\d{10}$")
    attachment_ids: list[StrictInt] = Field(default_factory=list, max_length=9)


class ActionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"version": 2, "note": "已受理"},
        {"version": 3, "department_id": 2, "note": "请城管局处置"},
        {"version": 5, "note": "已清理完毕", "attachment_ids": [3]},
        {"version": 6, "hours": 16, "note": "需协调产权单位"},
        {"version": 7, "department_ids": [3, 4], "check_in_hours": 2, "note": "多部门联合处置"},
        {"version": 9, "rating": "satisfied", "comment": "处理及时"},
    ]})

    version: StrictInt | None = Field(None, description="The event version you saw; a stale one gets 409")
    note: StrictStr | None = Field(None, max_length=2000)
    item_code: StrictStr | None = Field(None, max_length=16, description="accept: re-classify")
    severity: Severity | None = None
    department_id: StrictInt | None = Field(None, description="dispatch: the lead department")
    assist_department_ids: list[StrictInt] = Field(default_factory=list, max_length=10)
    department_ids: list[StrictInt] = Field(default_factory=list, max_length=20, description="whistle: summoned")
    check_in_hours: Number | None = Field(None, gt=0, le=72)
    hours: Number | None = Field(None, description="request_extension: working hours asked")
    into: StrictStr | StrictInt | None = Field(None, description="merge: the event (id or code) to merge into")
    rating: Rating | None = None
    comment: StrictStr | None = Field(None, max_length=500)
    attachment_ids: list[StrictInt] = Field(default_factory=list, max_length=9)


class RatingIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"rating": "satisfied", "comment": "很快就处理好了"}]})

    rating: Rating
    comment: StrictStr | None = Field(None, max_length=500)


class ActionOut(BaseModel):
    action: str
    label: str


class EventOut(BaseModel):
    id: int
    code: str
    channel: str
    channel_label: str
    item_code: str
    category_code: str
    severity: str
    title: str
    description: str
    address: str | None
    lon: float | None
    lat: float | None
    grid_code: str | None
    region_code: str
    state: str
    state_label: str
    level: int
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    overdue: bool
    closed_at: datetime | None
    rating: str | None
    rating_label: str | None
    merged_into_id: int | None
    is_dispute: bool
    external_id: str | None = None
    lead_department_id: int | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    version: int | None = None
    actions: list[ActionOut] | None = None


class EventDetail(EventOut):
    timeline: list[dict[str, Any]]
    assignments: list[dict[str, Any]]


class EventPage(BaseModel):
    items: list[EventOut]
    next_before_id: int | None = Field(description="Pass as before_id for the next page; null at the end")


class TrackingOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "SJ202611250000123", "tracking_code": "K7QM2XW9PA", "state": "reported", "state_label": "已上报"}]})

    code: str
    tracking_code: str
    state: str
    state_label: str
    title: str
    created_at: datetime
    steps: list[dict[str, Any]] = Field(default_factory=list)
    rating: str | None = None
    merged_into: dict[str, Any] | None = None


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class CatalogChangeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "note": "调整占道经营处置时限", "changes": [{"code": "SR001", "limits": {"normal": {"handle": 8}}}]}]})

    note: StrictStr | None = Field(None, max_length=200)
    changes: list[dict[str, Any]] = Field(min_length=1, max_length=500)


class RuleIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "item_code": "SR001", "region_code": "211021", "lead_department_id": 2, "assist_department_ids": [3]}]})

    item_code: StrictStr | None = Field(None, max_length=16)
    category_code: StrictStr | None = Field(None, max_length=16)
    region_code: StrictStr = Field(pattern=r"^\d{2,17}$")
    lead_department_id: StrictInt
    assist_department_ids: list[StrictInt] = Field(default_factory=list, max_length=10)
    note: StrictStr | None = Field(None, max_length=200)


class NoticeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "title": "寒潮预警", "body": "今夜有寒潮，请走访独居老人并检查取暖安全，完成后回复。", "region_code": "211021",
        "requires_reply": True}]})

    title: StrictStr = Field(min_length=1, max_length=120)
    body: StrictStr = Field(min_length=1, max_length=4000)
    region_code: StrictStr = Field(pattern=r"^\d{2,17}$", description="Sent to the grid workers of this subtree")
    requires_reply: bool = False


class NoticeReplyIn(BaseModel):
    reply: StrictStr = Field(min_length=1, max_length=2000, examples=["已完成走访，3户独居老人取暖正常"])
