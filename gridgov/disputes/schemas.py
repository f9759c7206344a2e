"""API shapes of the disputes domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

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
DisputeTypeName = Literal[
    "family",
    "neighbour",
    "romance",
    "property",
    "labour",
    "land",
    "expropriation",
    "medical",
    "consumer",
    "loan",
    "traffic",
    "other",
]
ColourName = Literal["green", "yellow", "red"]
StatusName = Literal["registered", "mediating", "resolved", "referred", "failed"]


class PartyIn(BaseModel):
    """A party: a register person (``person_id``), a register organization (``organization_id``) or
    free text (``name``, optional ``phone``)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["person", "organization", "free"]
    role: Literal["applicant", "respondent", "other"] = "other"
    person_id: StrictInt | None = Field(None, ge=1, le=2**31 - 1)
    organization_id: StrictInt | None = Field(None, ge=1, le=2**31 - 1)
    name: StrictStr | None = Field(None, min_length=1, max_length=60)
    phone: StrictStr | None = Field(None, max_length=20)

    @model_validator(mode="after")
    def _fits_kind(self):
        if self.kind == "person" and self.person_id is None:
            raise ValueError("登记人员当事人须提供 person_id")
        if self.kind == "organization" and self.organization_id is None:
            raise ValueError("登记单位当事人须提供 organization_id")
        if self.kind == "free" and not (self.name and self.name.strip()):
            raise ValueError("其他当事人须填写姓名或名称")
        return self


class DisputeIn(BaseModel):
    """Register a dispute: the event is reported through the ordinary intake (grid worker: channel
    ``grid``; centre: ``centre`` or ``hotline``), then the parties are recorded and the colour computed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "client_id": "d1f0c8a2-5b7e-4c1d-9e2a-3f4b5c6d7e80",
                    "type": "neighbour",
                    "description": "楼上漏水致楼下天花板受损，双方就赔偿争执不下",
                    "lon": 123.116345,
                    "lat": 41.211411,
                    "parties": [
                        {"kind": "person", "person_id": 361, "role": "applicant"},
                        {"kind": "free", "name": "赵明", "phone": "13912345678", "role": "respondent"},
                    ],
                }
            ]
        },
    )

    client_id: StrictStr | None = Field(
        None, min_length=8, max_length=64, description="Idempotency key chosen by the client (retry-safe)"
    )
    channel: Literal["grid", "centre", "hotline"] | None = Field(
        None, description="Default: grid for a grid worker, centre otherwise"
    )
    type: DisputeTypeName = Field(
        description="家庭 family, 邻里 neighbour, 婚恋 romance, 物业 property, "
        "劳资 labour, 土地 land, 征地拆迁 expropriation, 医患 medical, "
        "消费 consumer, 借贷 loan, 交通事故 traffic, 其他 other"
    )
    item_code: StrictStr | None = Field(
        None, max_length=16, description="A catalog item of category MD; default: by type"
    )
    severity: Literal["low", "normal", "high", "urgent"] | None = None
    title: StrictStr | None = Field(None, max_length=120)
    description: StrictStr = Field(min_length=2, max_length=4000)
    lon: Number | None = Field(None, ge=-180, le=180)
    lat: Number | None = Field(None, ge=-90, le=90)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    region_code: StrictStr | None = Field(None, pattern=r"^\d{6,17}$")
    address: StrictStr | None = Field(None, max_length=200)
    external_id: StrictStr | None = Field(None, max_length=64)
    reporter_name: StrictStr | None = Field(None, max_length=60)
    reporter_phone: StrictStr | None = Field(None, max_length=20)
    attachment_ids: list[StrictInt] = Field(default_factory=list, max_length=9)
    threat: StrictBool = Field(False, description="扬言报复、暴力倾向、情绪失控 (→ red)")
    people_involved: StrictInt | None = Field(None, ge=1, le=100_000, description="涉及人数 (≥5 → red)")
    colour: ColourName | None = Field(
        None, description="Staff judgement: raises the computed colour, never lowers"
    )
    parties: list[PartyIn] = Field(min_length=2, max_length=50)

    @model_validator(mode="after")
    def _where(self):
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon 与 lat 须同时提供")
        return self


class SessionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "held_on": "2026-11-20",
                    "place": "幸福社区调解室",
                    "result": "continued",
                    "notes": "双方初步同意由楼上住户承担维修费用",
                }
            ]
        },
    )

    mediator_user_id: StrictInt | None = Field(None, ge=1, le=2**31 - 1, description="Default: you")
    mediator_name: StrictStr | None = Field(None, max_length=100, description="An outside mediator's name")
    held_on: date
    place: StrictStr | None = Field(None, max_length=200)
    result: Literal["success", "partial", "failed", "continued"]
    notes: StrictStr | None = Field(None, max_length=4000)


class AgreementIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "signed_on": "2026-11-21",
                    "content": "楼上住户于 11 月 30 日前修复防水层并赔偿 1200 元",
                    "performed": False,
                }
            ]
        },
    )

    signed_on: date
    content: StrictStr = Field(min_length=2, max_length=8000)
    performed: StrictBool = False
    performed_on: date | None = None


class PerformedIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"performed_on": "2026-11-28"}]}
    )

    performed_on: date | None = Field(None, description="Default: today")
    note: StrictStr | None = Field(None, max_length=2000)


class ReferralIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"to_kind": "court", "to_name": "辽阳县人民法院诉调对接中心", "note": "双方同意诉前调解"}
            ]
        },
    )

    to_kind: Literal["mediation_committee", "justice_office", "police", "court", "other"] = Field(
        description="人民调解委员会 / 司法所 / 派出所 / 法院诉前调解 / 其他"
    )
    to_department_id: StrictInt | None = Field(None, ge=1, le=2**31 - 1)
    to_name: StrictStr | None = Field(None, max_length=100)
    note: StrictStr | None = Field(None, max_length=2000)


class ReferralResultIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"result": "resolved", "note": "法院诉前调解成功，出具调解书"}]},
    )

    result: Literal["resolved", "unresolved"]
    note: StrictStr | None = Field(None, max_length=2000)


class FollowUpIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"visited_on": "2026-12-01", "notes": "回访双方，协议已履行，关系缓和", "stable": True}
            ]
        },
    )

    visited_on: date
    notes: StrictStr = Field(min_length=2, max_length=4000)
    stable: StrictBool


class PartyOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    role: str
    role_label: str
    person_id: int | None = None
    organization_id: int | None = None
    name: str = Field(description="Masked for persons and free-text parties")
    phone: str | None = None
    masked: bool


# real answers of the tiny demo (trimmed), parties masked as the API masks them
_DISPUTE_EXAMPLE = {"id": 1, "event_id": 2196, "event_code": "SJ202612010002196", "title": "邻里纠纷",
                    "item_code": "MD001", "event_state": "reported", "type": "neighbour", "type_label": "邻里",
                    "colour": "yellow", "colour_label": "黄色", "colour_reason": "当事人含关爱人群：独居老人",
                    "repeat_count": 0, "threat": False, "people_involved": 2, "status": "resolved",
                    "status_label": "已化解", "resolution": "agreement", "resolution_label": "协议履行",
                    "resolved_at": "2026-12-01T21:46:24.588832Z", "region_code": "21102100100100102",
                    "created_at": "2026-12-01T21:46:24.443566Z", "updated_at": "2026-12-01T21:46:24.622654Z",
                    "parties": [{"id": 1, "kind": "person", "kind_label": "登记人员", "role": "applicant",
                                 "role_label": "申请人", "person_id": 361, "organization_id": None,
                                 "name": "王*英", "phone": None, "masked": True},
                                {"id": 2, "kind": "free", "kind_label": "其他当事人", "role": "respondent",
                                 "role_label": "被申请人", "person_id": None, "organization_id": None,
                                 "name": "赵*", "phone": "139****5678", "masked": True}]}
_DISPUTE_DETAIL_EXAMPLE = {"event": {"id": 2196, "code": "SJ202612010002196", "channel": "grid",
                                     "channel_label": "网格员上报", "item_code": "MD001", "category_code": "MD",
                                     "severity": "normal", "title": "邻里纠纷",
                                     "description": "楼上漏水致楼下天花板受损，双方就赔偿争执不下", "address": None,
                                     "lon": 123.11634517678215, "lat": 41.2114114,
                                     "grid_code": "21102100100100102", "region_code": "21102100100100102",
                                     "state": "reported", "state_label": "已上报", "level": 0,
                                     "created_at": "2026-12-01T21:46:24.443566Z",
                                     "updated_at": "2026-12-01T21:46:24.446132Z",
                                     "due_at": "2026-12-02T01:30:00Z", "overdue": False, "closed_at": None,
                                     "rating": None, "rating_label": None, "merged_into_id": None,
                                     "is_dispute": True, "external_id": None, "lead_department_id": 43,
                                     "reporter_name": "网****芳", "reporter_phone": None, "warned": False,
                                     "handle_due_at": None, "extended": False,
                                     "extension_pending_hours": None, "rework_count": 0, "accepted_at": None,
                                     "dispatched_at": None, "handled_at": None, "self_resolved": False,
                                     "rating_comment": None, "version": 2,
                                     "actions": [{"action": "accept", "label": "受理"},
                                                 {"action": "reject", "label": "不予受理"}]},
                           "sessions": [{"id": 1, "mediator_user_id": 4, "mediator_name": "网格员 王芳",
                                         "held_on": "2026-11-20", "place": "幸福社区调解室", "result": "continued",
                                         "result_label": "继续调解", "notes": "双方初步同意由楼上住户承担维修费用",
                                         "created_at": "2026-12-01T21:46:24.554277Z"}],
                           "agreements": [{"id": 1, "signed_on": "2026-11-21",
                                           "content": "楼上住户于 11 月 30 日前修复防水层并赔偿 1200 元", "performed": True,
                                           "performed_on": "2026-11-28",
                                           "created_at": "2026-12-01T21:46:24.575403Z"}],
                           "referrals": [],
                           "follow_ups": [{"id": 1, "visited_on": "2026-12-01", "by_user_id": 4,
                                           "notes": "回访双方，协议已履行，关系缓和", "stable": True,
                                           "created_at": "2026-12-01T21:46:24.622026Z"}]}


class DisputeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DISPUTE_EXAMPLE]})

    id: int
    event_id: int
    event_code: str
    title: str
    item_code: str
    event_state: str
    type: str
    type_label: str
    colour: str
    colour_label: str
    colour_reason: str
    repeat_count: int
    threat: bool
    people_involved: int
    status: str
    status_label: str
    resolution: str | None
    resolution_label: str | None
    resolved_at: datetime | None
    region_code: str
    created_at: datetime
    updated_at: datetime
    parties: list[PartyOut]


class DisputeDetail(DisputeOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_DISPUTE_EXAMPLE, **_DISPUTE_DETAIL_EXAMPLE}]})

    event: dict[str, Any] = Field(
        description="The event (as in /api/v1/events/{ref}) with the actions you may take"
    )
    sessions: list[dict[str, Any]]
    agreements: list[dict[str, Any]]
    referrals: list[dict[str, Any]]
    follow_ups: list[dict[str, Any]]


class DisputePage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_DISPUTE_EXAMPLE], "next_before_id": 1}]})

    items: list[DisputeOut]
    next_before_id: int | None = Field(description="Pass as before_id for the next page; null at the end")


class StatsRow(BaseModel):
    region_code: str
    region_name: str | None = None
    month: str | None = None
    registered: int
    accepted: int
    resolved: int
    failed: int
    referred: int
    pending_in_time: int
    red: int
    yellow: int
    green: int
    resolution_rate: float | None = Field(description="化解率 = 化解数 / 受理数")
    settled_rate: float | None = Field(description="办结化解率 = 化解数 / (受理数 − 在办未超期数)")


class StatsTotal(BaseModel):
    registered: int
    accepted: int
    resolved: int
    failed: int
    referred: int
    pending_in_time: int
    red: int
    yellow: int
    green: int
    resolution_rate: float | None
    settled_rate: float | None


class StatsOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"level": "street", "since": "2026-01-01T00:00:00+08:00", "until": None, "by_month": False,
         "definition": {"resolution_rate": "化解率 = 化解数 / 受理数（受理数 = 登记数 − 不予受理 − 合并）",
                        "settled_rate": "办结化解率 = 化解数 / (受理数 − 在办未超期数)",
                        "period": "按纠纷登记时间统计（since 含，until 不含）；按月分组时按本地时间的登记月份"},
         "rows": [{"region_code": "211021001", "region_name": "晨光街道", "month": None, "registered": 2,
                   "accepted": 2, "resolved": 2, "failed": 0, "referred": 0, "pending_in_time": 0, "red": 1,
                   "yellow": 1, "green": 0, "resolution_rate": 1.0, "settled_rate": 1.0}],
         "total": {"registered": 2, "accepted": 2, "resolved": 2, "failed": 0, "referred": 0,
                   "pending_in_time": 0, "red": 1, "yellow": 1, "green": 0, "resolution_rate": 1.0,
                   "settled_rate": 1.0}}]})

    level: str
    since: datetime | None = None
    until: datetime | None = None
    by_month: bool
    definition: dict[str, str]
    rows: list[StatsRow]
    total: StatsTotal


VOCABULARY_EXAMPLE = {"types": {"family": "家庭", "neighbour": "邻里", "romance": "婚恋", "property": "物业",
                                "labour": "劳资", "land": "土地", "expropriation": "征地拆迁", "medical": "医患",
                                "consumer": "消费", "loan": "借贷", "traffic": "交通事故", "other": "其他"},
                      "default_items": {"family": "MD002", "neighbour": "MD001", "romance": "MD019",
                                        "property": "MD021", "labour": "MD021", "land": "MD006",
                                        "expropriation": "MD013", "medical": "MD010", "consumer": "MD011",
                                        "loan": "MD015", "traffic": "MD012", "other": "MD021"},
                      "colours": {"green": "绿色", "yellow": "黄色", "red": "红色"},
                      "statuses": {"registered": "已登记", "mediating": "调解中", "resolved": "已化解",
                                   "referred": "已移交", "failed": "调解不成"},
                      "party_kinds": {"person": "登记人员", "organization": "登记单位", "free": "其他当事人"},
                      "party_roles": {"applicant": "申请人", "respondent": "被申请人", "other": "其他当事人"},
                      "session_results": {"success": "调解成功", "partial": "部分达成", "failed": "调解不成",
                                          "continued": "继续调解"},
                      "referral_kinds": {"mediation_committee": "人民调解委员会", "justice_office": "司法所",
                                         "police": "派出所", "court": "法院诉前调解", "other": "其他"},
                      "referral_results": {"pending": "办理中", "resolved": "已化解", "unresolved": "未化解"}}
