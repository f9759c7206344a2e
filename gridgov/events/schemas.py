"""API shapes of the events domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

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
        "client_id": "6f1c2a9e-0d5b-4c1e-9a51-2b7d3c4e5f60", "item_code": "CG001",
        "description": "人民路12号门前占道经营，影响通行", "lon": 123.116345, "lat": 41.211411, "address": "人民路12号",
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
        "item_code": "HB006", "description": "小区门口垃圾堆放三天无人清理", "lon": 123.116345, "lat": 41.211411,
        "phone": "13812345678", "client_id": "web-8c0e6c7a2f3b"}]})

    client_id: StrictStr | None = Field(None, min_length=8, max_length=64)
    item_code: StrictStr = Field(min_length=1, max_length=16)
    description: StrictStr = Field(min_length=2, max_length=2000)
    name: StrictStr | None = Field(None, max_length=30)
    phone: StrictStr | None = Field(None, pattern=r"^1\d{10}$")
    attachment_ids: list[StrictInt] = Field(default_factory=list, max_length=9)


class ActionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"version": 3, "note": "已受理"},
        {"version": 4, "department_id": 14, "note": "请城管局处置"},
        {"version": 7, "note": "已清理完毕", "attachment_ids": [1]},
        {"version": 6, "hours": 16, "note": "需协调产权单位"},
        {"version": 7, "department_ids": [24, 18], "check_in_hours": 2, "note": "多部门联合处置"},
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


_EVENT_EXAMPLE: dict[str, Any] = {
    "id": 2191, "code": "SJ202612010002191", "channel": "grid", "channel_label": "网格员上报", "item_code": "CG001",
    "category_code": "CG", "severity": "low", "title": "暴露垃圾", "description": "人民路12号门前占道经营，影响通行",
    "address": "人民路12号", "lon": 123.116345, "lat": 41.211411, "grid_code": "21102100100100102",
    "region_code": "21102100100100102", "state": "dispatched", "state_label": "已派遣", "level": 0,
    "created_at": "2026-12-01T21:38:32.773008Z", "updated_at": "2026-12-01T21:38:32.898786Z", "due_at": None,
    "overdue": False, "closed_at": None, "rating": None, "rating_label": None, "merged_into_id": None,
    "is_dispute": False, "external_id": None, "lead_department_id": 14, "reporter_name": "网****芳",
    "reporter_phone": None, "version": 6,
    "actions": [{"action": "escalate", "label": "上报上级"}, {"action": "whistle", "label": "吹哨"}]}

_CLOSED_EVENT_EXAMPLE: dict[str, Any] = {
    "id": 265, "code": "SJ202601250000265", "channel": "grid", "channel_label": "网格员上报", "item_code": "HB006",
    "category_code": "HB", "severity": "low", "title": "河道垃圾漂浮物",
    "description": "辽阳县晨光街道复兴社区东风路2号河东小区1号楼楼下，河道、水库水面垃圾、漂浮物。",
    "address": "辽阳县晨光街道复兴社区东风路2号河东小区1号楼", "lon": 123.114969, "lat": 41.212325,
    "grid_code": "21102100100100101", "region_code": "21102100100100101", "state": "evaluated",
    "state_label": "已评价", "level": 0, "created_at": "2026-01-25T05:20:59Z", "updated_at": "2026-01-30T21:41:35Z",
    "due_at": None, "overdue": False, "closed_at": "2026-01-30T00:41:35Z", "rating": "satisfied",
    "rating_label": "满意", "merged_into_id": None, "is_dispute": False, "external_id": None,
    "lead_department_id": 27, "reporter_name": None, "reporter_phone": None, "version": 1,
    "actions": [{"action": "comment", "label": "备注"}]}


class ActionOut(BaseModel):
    action: str
    label: str


class EventOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EVENT_EXAMPLE]})

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
    due_at: datetime | None = None
    overdue: bool
    closed_at: datetime | None = None
    rating: str | None = None
    rating_label: str | None = None
    merged_into_id: int | None = None
    is_dispute: bool
    external_id: str | None = None
    lead_department_id: int | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    version: int | None = None
    actions: list[ActionOut] | None = None


class EventDetail(EventOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_CLOSED_EVENT_EXAMPLE, "timeline": [
        {"id": 1585, "action": "report", "action_label": "上报", "from_state": None, "to_state": "reported",
         "actor": "系统演示", "party": "reporter", "note": None, "data": {}, "at": "2026-01-25T05:20:59Z",
         "audit_seq": None},
        {"id": 1586, "action": "accept", "action_label": "受理", "from_state": "reported", "to_state": "accepted",
         "actor": "operator", "party": "centre", "note": None, "data": {}, "at": "2026-01-26T01:17:56Z",
         "audit_seq": None}],
        "assignments": [{"department_id": 27, "department": "辽阳县水利局", "kind": "lead", "status": "signed",
                         "due_at": None, "answered_at": "2026-01-26T02:39:54Z"}]}]})

    timeline: list[dict[str, Any]]
    assignments: list[dict[str, Any]]


class EventPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "items": [{**_CLOSED_EVENT_EXAMPLE, "actions": None}], "next_before_id": 265}]})

    items: list[EventOut]
    next_before_id: int | None = Field(description="Pass as before_id for the next page; null at the end")


class TrackingOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "SJ202601260000275", "tracking_code": "5PFVYL4S3V", "state": "evaluated", "state_label": "已评价",
        "title": "黑臭水体", "created_at": "2026-01-26T09:20:46Z",
        "steps": [{"action": "report", "action_label": "上报", "state": "reported", "state_label": "已上报",
                   "at": "2026-01-26T09:20:46Z", "note": None},
                  {"action": "accept", "action_label": "受理", "state": "accepted", "state_label": "已受理",
                   "at": "2026-01-27T00:48:52Z", "note": None}],
        "rating": "satisfied", "merged_into": None}]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 1, "filename": "现场照片.png", "content_type": "image/png", "size": 70,
        "sha256": "c414cd0e204de974f73753c7e28d7638e7b3691bb8b1a2bab6b25bb7fed7ce77"}]})

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


Step = Literal["accept", "dispatch", "sign", "handle", "verify"]
Hours = Annotated[Number, Field(gt=0, le=10_000)]


class CatalogItemChange(BaseModel):
    """One item of an edit: the fields given replace the item's (a new code adds an item: then
    ``category_code``, ``name``, ``severity`` and ``limits`` are required); ``remove`` drops it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"code": "CG024", "severity": "high", "description": "餐饮单位、露天烧烤油烟直排扰民，投诉集中的时段从严。"},
        {"code": "TS009", "public": False},
        {"code": "QT006", "remove": True}]})

    code: StrictStr = Field(pattern=r"^[A-Z]{2}\d{3}$", description="Item code: category code + 3 digits")
    remove: StrictBool = False
    category_code: StrictStr | None = Field(None, pattern=r"^[A-Z]{2}$")
    name: StrictStr | None = Field(None, min_length=1, max_length=100)
    description: StrictStr | None = Field(None, max_length=1000)
    severity: Severity | None = None
    department_code: StrictStr | None = Field(None, pattern=r"^[A-Z]{2,6}$", description="Default lead department (suffix)")
    self_resolvable: StrictBool | None = None
    public: StrictBool | None = Field(None, description="对公众开放: residents (随手拍 page and API, Open311) may see "
                                                         "and file it; false keeps it to staff channels")
    keywords: StrictStr | None = Field(None, max_length=300)
    limits: dict[Severity, dict[Step, Hours]] | None = Field(
        None, description="{severity: {step: working hours}}; replaces the item's limits")


class CatalogChangeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"note": "油烟扰民默认按严重处理", "changes": [{"code": "CG024", "severity": "high"}]},
        {"note": "独居老人关爱改由网格员走访上报", "changes": [{"code": "TS009", "public": False}]}]})

    note: StrictStr | None = Field(None, max_length=200)
    changes: list[CatalogItemChange] = Field(min_length=1, max_length=500)


class RuleIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "item_code": "CG001", "region_code": "211021", "lead_department_id": 14, "assist_department_ids": [24]}]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [{"reply": "已完成走访，3户独居老人取暖正常"}]})

    reply: StrictStr = Field(min_length=1, max_length=2000, examples=["已完成走访，3户独居老人取暖正常"])


# --- examples of the routes that answer plain dicts (real answers of the tiny demo, trimmed) ----------

_LIMITS_EXAMPLE = {"low": {"accept": 6.0, "dispatch": 6.0, "sign": 10.5, "handle": 21.0, "verify": 10.5},
                   "normal": {"accept": 4.0, "dispatch": 4.0, "sign": 7.0, "handle": 14.0, "verify": 7.0},
                   "high": {"accept": 2.0, "dispatch": 2.0, "sign": 3.5, "handle": 7.0, "verify": 3.5},
                   "urgent": {"accept": 1.0, "dispatch": 1.0, "sign": 1.75, "handle": 3.5, "verify": 1.75}}
CATALOG_EXAMPLE = {
    "version": 1, "created_at": "2026-12-01T21:33:28.596092Z", "note": "系统默认事项清单",
    "categories": [{"code": "DJ", "name": "党建引领", "items": [{
        "code": "DJ001", "category_code": "DJ", "name": "流动党员报到",
        "description": "外出务工、经商或新迁入的党员到网格报到，登记联系方式和组织关系所在地。", "severity": "low",
        "severity_label": "轻微", "department_code": "ZZB", "self_resolvable": True, "public": False,
        "keywords": "流动党员、党员报到、组织关系", "limits": _LIMITS_EXAMPLE}]}]}
CATALOG_VERSIONS_EXAMPLE = [{"version": 2, "is_current": True, "note": "调整占道经营处置时限", "created_by": "admin",
                             "created_at": "2026-12-01T21:41:47.256847Z"},
                            {"version": 1, "is_current": False, "note": "系统默认事项清单", "created_by": None,
                             "created_at": "2026-12-01T21:33:28.596092Z"}]
RULES_EXAMPLE = [{"id": 1, "item_code": "CG001", "category_code": None, "region_code": "211021",
                  "lead_department_id": 14, "lead_department_code": "211021-CG",
                  "lead_department": "辽阳县城市管理综合行政执法局", "assist_department_ids": [24], "note": None},
                 {"id": 2, "item_code": "CG002", "category_code": None, "region_code": "211021001001001",
                  "lead_department_id": 24, "lead_department_code": "211021-ZJ", "lead_department": "辽阳县住房和城乡建设局",
                  "assist_department_ids": [18], "note": "网格内由住建局牵头"}]
RULES_IMPORT_EXAMPLE = {
    "id": 2, "entity": "responsibility", "filename": "权责清单.csv", "encoding": "utf-8",
    "at": "2026-12-01T21:38:32.702453Z", "total": 2, "created": 1, "updated": 0, "unchanged": 0, "quarantined": 1,
    "empty_rows": 0, "warnings": ["文件中没有以下可选列（按空值处理）：类别编码"],
    "error_report": "/api/v1/catalog/rules/imports/2/errors.xlsx",
    "quarantine": [{"row": 3, "reasons": ["事项编码：NOPE1 不在现行事项清单中"]}]}
QUEUES_EXAMPLE = {
    "labels": {"to_accept": "待受理", "to_dispatch": "待派遣", "to_sign": "待签收", "in_progress": "处置中",
               "to_verify": "待核查", "due_soon": "即将超期", "overdue": "已超期", "closed": "已结案", "mine": "我上报的"},
    "counts": {"to_accept": 2, "to_dispatch": 0, "to_sign": 0, "in_progress": 14, "to_verify": 4, "due_soon": 1,
               "overdue": 0, "closed": 1000, "mine": 686}, "cap": 1000}
INBOX_EXAMPLE = {"unread": 1, "items": [{
    "id": 1, "kind": "dispatched", "kind_label": "派遣", "event_id": 2191, "title": "新派遣事件：SJ202612010002191 暴露垃圾",
    "body": None, "created_at": "2026-12-01T21:38:32.907236Z", "read_at": None}]}
NOTICE_EXAMPLE = {"id": 1, "title": "寒潮预警", "body": "今夜有寒潮，请走访独居老人并检查取暖安全，完成后回复。",
                  "region_code": "211021", "requires_reply": True, "created_at": "2026-12-01T21:38:33.028531Z"}
MY_NOTICE_EXAMPLE = {**NOTICE_EXAMPLE, "read_at": "2026-12-01T21:38:33.051664Z",
                     "reply": "已完成走访，3户独居老人取暖正常", "replied_at": "2026-12-01T21:38:33.061753Z"}
SENT_NOTICE_EXAMPLE = {**NOTICE_EXAMPLE, "recipients": 13, "read": 1, "replied": 1}
RECEIPTS_EXAMPLE = [{"user_id": 4, "name": "网格员 王芳", "read_at": "2026-12-01T21:41:48.625001Z",
                     "reply": "已完成走访，3户独居老人取暖正常", "replied_at": "2026-12-01T21:41:48.647417Z"},
                    {"user_id": 15, "name": "网格员 刘华", "read_at": None, "reply": None, "replied_at": None}]
READ_NOTICE_EXAMPLE = {**NOTICE_EXAMPLE, "read_at": "2026-12-01T21:38:33.051664Z", "reply": None, "replied_at": None}
