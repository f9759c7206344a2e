"""API shapes of the people domain. Responses are masked unless revealed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

PopulationType = Literal["registered", "floating", "overseas"]
Relation = Literal["head", "spouse", "child", "parent", "grandchild", "sibling", "tenant", "other"]
Number = StrictFloat | StrictInt


# real answers of the tiny demo (trimmed); personal data masked as the API masks it
PERSON_EXAMPLE = {"id": 207, "name": "王*宸", "citizen_id": "2114**********3598", "sex": "male",
                  "sex_label": "男", "age": 23, "birth_date": None, "ethnicity": "汉族", "phone": "134****9439",
                  "hukou_region_code": "211421", "hukou_address": "辽宁省葫芦岛市绥中县",
                  "residence_address": "辽阳县邹家甸子镇青年社区****", "house_id": 238, "grid_code": "21102110000100103",
                  "population_type": "floating", "population_type_label": "流动人口", "moved_in_on": "2026-05-26",
                  "moved_out_on": None, "status": "active", "masked": True}


class PersonIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "citizen_id": "11010519491231002X", "name": "王秀英", "phone": "13812345678", "house_id": 370,
        "population_type": "registered", "ethnicity": "汉族", "role": "owner"}]})

    citizen_id: StrictStr = Field(min_length=15, max_length=18, description="GB 11643; 15-digit IDs are upgraded")
    name: StrictStr = Field(min_length=1, max_length=30)
    sex: Literal["male", "female"] | None = Field(None, description="Checked against the ID when given")
    phone: StrictStr | None = Field(None, max_length=20)
    ethnicity: StrictStr | None = Field(None, max_length=20)
    hukou_region_code: StrictStr | None = Field(
        None, pattern=r"^\d{2,12}$", examples=["211021"],
        description="户籍地: division code of the place of household registration (6- or 12-digit forms accepted); "
                    "when omitted, the region of the citizen ID")
    hukou_address: StrictStr | None = Field(None, max_length=200)
    population_type: PopulationType = "registered"
    house_id: StrictInt = Field(description="The house the person lives in (人进户、户进房)")
    role: Literal["owner", "family", "tenant", "other"] = "family"
    moved_in_on: date | None = None


class PersonPatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "13912345678"}]})

    name: StrictStr | None = Field(None, min_length=1, max_length=30)
    phone: StrictStr | None = Field(None, max_length=20)
    ethnicity: StrictStr | None = Field(None, max_length=20)
    hukou_region_code: StrictStr | None = Field(None, pattern=r"^\d{2,12}$", description="户籍地 division code")
    hukou_address: StrictStr | None = Field(None, max_length=200)
    population_type: PopulationType | None = None
    status: Literal["active", "moved_out", "deceased"] | None = None
    moved_out_on: date | None = None


class PersonOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [PERSON_EXAMPLE]})

    id: int
    name: str
    citizen_id: str
    sex: str
    sex_label: str
    age: int
    birth_date: date | None = Field(None, description="Only when revealed")
    ethnicity: str | None = None
    phone: str | None = None
    hukou_region_code: str | None = None
    hukou_address: str | None = None
    residence_address: str | None = None
    house_id: int | None = None
    grid_code: str | None = None
    population_type: str
    population_type_label: str
    moved_in_on: date | None = None
    moved_out_on: date | None = None
    status: str
    masked: bool


class RevealIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"purpose": "核实矛盾纠纷当事人身份"}]})

    purpose: StrictStr = Field(min_length=4, max_length=200, examples=["核实矛盾纠纷当事人身份"])


class MoveIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"house_id": 371, "role": "owner", "on": "2026-11-20"}]})

    house_id: StrictInt
    role: Literal["owner", "family", "tenant", "other"] = "family"
    on: date | None = None


class SearchOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"kind": "name", "results": [PERSON_EXAMPLE]}]})

    kind: Literal["citizen_id", "phone", "phone_tail", "pinyin", "address", "name"]
    results: list[PersonOut]


class HouseholdIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"house_id": 371, "head_person_id": 361, "kind": "actual"}]})

    house_id: StrictInt
    head_person_id: StrictInt
    kind: Literal["registered", "actual"] = "actual"
    code: StrictStr | None = Field(None, max_length=40, description="户号; generated when omitted")


class MemberIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"person_id": 362, "relation": "grandchild"}]})

    person_id: StrictInt
    relation: Relation


class OrganizationIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "uscc": "91350100M000100Y43", "name": "辽阳县幸福超市有限公司", "org_type": "enterprise", "address": "首山镇幸福路12号",
        "lon": 123.116345, "lat": 41.211411, "legal_rep_name": "张建国", "legal_rep_phone": "13812345678",
        "contact_name": "李红", "contact_phone": "13912345678", "employees": 12}]})

    uscc: StrictStr = Field(min_length=18, max_length=18, examples=["91350100M000100Y43"])
    name: StrictStr = Field(min_length=1, max_length=120)
    org_type: Literal["enterprise", "individual", "institution", "government", "social", "school", "hospital",
                      "other"] = "enterprise"
    address: StrictStr | None = Field(None, max_length=200)
    lon: Number = Field(ge=-180, le=180)
    lat: Number = Field(ge=-90, le=90)
    crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84"
    legal_rep_name: StrictStr | None = Field(None, max_length=60)
    legal_rep_citizen_id: StrictStr | None = Field(None, max_length=18)
    legal_rep_phone: StrictStr | None = Field(None, max_length=20)
    contact_name: StrictStr | None = Field(None, max_length=60)
    contact_phone: StrictStr | None = Field(None, max_length=20)
    employees: StrictInt | None = Field(None, ge=0)


class EnrollIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "group": "elderly_alone", "attributes": {"health": "一般", "emergency_contact": "王明"},
        "risk_level": "medium", "responsible_user_id": 4}]})

    group: Literal["community_correction", "released_prisoner", "drug_rehab", "mental_disorder", "petition_focus",
                   "left_behind_child", "elderly_alone", "disabled", "subsistence"]
    attributes: dict[str, Any] = {}
    risk_level: Literal["low", "medium", "high"] = "low"
    responsible_user_id: StrictInt | None = None
    visit_interval_days: StrictInt | None = Field(None, ge=1, le=366)


class VisitIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "person_id": 361, "method": "home", "content": "上门走访，老人身体状况良好", "findings": "取暖正常"}]})

    person_id: StrictInt | None = None
    member_id: StrictInt | None = None
    household_id: StrictInt | None = None
    method: Literal["home", "phone", "video", "other"] = "home"
    content: StrictStr = Field(min_length=1, max_length=2000)
    findings: StrictStr | None = Field(None, max_length=2000)
    visited_at: datetime | None = None


class DeclaredPerson(BaseModel):
    # lengths are checked by the service, which names the person and the problem in Chinese
    name: StrictStr = Field(max_length=60)
    citizen_id: StrictStr = Field(max_length=40)
    phone: StrictStr | None = Field(None, max_length=20)
    relation: Relation = "other"


class DeclarationIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "kind": "tenants", "declarer_name": "李房东", "declarer_phone": "13912345678", "unit_no": "2",
        "room_no": "502", "moved_in_on": "2026-11-01",
        "people": [{"name": "张三", "citizen_id": "110105199003070017", "relation": "tenant"}]}]})

    kind: Literal["residence", "tenants"] = "residence"
    declarer_name: StrictStr = Field(max_length=60)
    declarer_phone: StrictStr = Field(max_length=30)
    unit_no: StrictStr | None = Field(None, max_length=10)
    room_no: StrictStr = Field(min_length=1, max_length=20)
    moved_in_on: date | None = None
    people: list[DeclaredPerson] = Field(min_length=1, max_length=20)


class RejectIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "房号与楼栋不符，请核实后重新申报"}]})

    reason: StrictStr = Field(max_length=500, examples=["房号与楼栋不符，请核实后重新申报"])


# --- examples of the routes that answer plain dicts (real answers of the tiny demo, trimmed) ----------

REVEALED_PERSON_EXAMPLE = {"id": 361, "name": "王秀英", "citizen_id": "11010519491231002X", "sex": "female",
                           "sex_label": "女", "age": 76, "birth_date": "1949-12-31", "ethnicity": "汉族",
                           "phone": "13912345678", "hukou_region_code": "110105", "hukou_address": None,
                           "residence_address": "辽阳县首山镇幸福路12号幸福小区3号楼2单元502室", "house_id": 370,
                           "grid_code": "21102100100100102", "population_type": "registered",
                           "population_type_label": "户籍人口", "moved_in_on": None, "moved_out_on": None,
                           "status": "active", "masked": False}
RESIDENCES_EXAMPLE = [{"house_id": 371, "address": "辽阳县首山镇幸福路12号****", "role": "owner",
                       "valid_from": "2026-11-20", "valid_to": None, "source": "manual"}]
PERSON_HISTORY_EXAMPLE = [{"at": "2026-12-01T21:46:20.035234Z", "actor_id": 1, "action": "move",
                           "changes": {"house_id": [370, 371], "moved_in_on": [None, "2026-11-20"]}}]
HOUSEHOLD_EXAMPLE = {"id": 280, "code": "HB2110210010010010200001-2-602-A", "kind": "actual", "house_id": 371,
                     "grid_code": "21102100100100102",
                     "members": [{"id": 361, "name": "王*英", "citizen_id": "1101**********002X",
                                  "sex": "female", "sex_label": "女", "age": 76, "birth_date": None,
                                  "ethnicity": "汉族", "phone": "139****5678", "hukou_region_code": "110105",
                                  "hukou_address": None, "residence_address": "辽阳县首山镇幸福路12号****",
                                  "house_id": 371, "grid_code": "21102100100100102",
                                  "population_type": "registered", "population_type_label": "户籍人口",
                                  "moved_in_on": "2026-11-20", "moved_out_on": None, "status": "active",
                                  "masked": True, "relation": "head", "relation_label": "户主"},
                                 {"id": 362, "name": "李*雪", "citizen_id": "1101**********002X",
                                  "sex": "female", "sex_label": "女", "age": 14, "birth_date": None,
                                  "ethnicity": None, "phone": None, "hukou_region_code": "110105",
                                  "hukou_address": None, "residence_address": "辽阳县首山镇幸福路12号****",
                                  "house_id": 371, "grid_code": "21102100100100102",
                                  "population_type": "registered", "population_type_label": "户籍人口",
                                  "moved_in_on": None, "moved_out_on": None, "status": "active",
                                  "masked": True, "relation": "grandchild", "relation_label": "孙子女"}]}
ORGANIZATION_EXAMPLE = {"id": 8, "uscc": "93211021AP322JRC4R", "name": "辽阳县复兴农民专业合作社", "org_type": "other",
                        "org_type_label": "其他", "address": "辽阳县晨光街道复兴社区光华街8号东湖花园1号楼", "legal_rep_name": "曲*",
                        "legal_rep_citizen_id": "2110**********1269", "legal_rep_phone": "134****1262",
                        "contact_name": "曲*", "contact_phone": "134****1262", "employees": 6,
                        "grid_code": "21102100100100301", "lon": 123.1174267, "lat": 41.2054039}
CREATED_ORGANIZATION_EXAMPLE = {"id": 10, "uscc": "91350100M000100Y43", "name": "辽阳县幸福超市有限公司",
                                "org_type": "enterprise", "org_type_label": "企业", "address": "首山镇幸福路12号",
                                "legal_rep_name": "张*国", "legal_rep_citizen_id": None,
                                "legal_rep_phone": "138****5678", "contact_name": "李*",
                                "contact_phone": "139****5678", "employees": 12,
                                "grid_code": "21102100100100102", "lon": 123.11634517678215,
                                "lat": 41.2114114}
REVEALED_ORGANIZATION_EXAMPLE = {"id": 10, "uscc": "91350100M000100Y43", "name": "辽阳县幸福超市有限公司",
                                 "org_type": "enterprise", "org_type_label": "企业", "address": "首山镇幸福路12号",
                                 "legal_rep_name": "张建国", "legal_rep_citizen_id": None,
                                 "legal_rep_phone": "13812345678", "contact_name": "李红",
                                 "contact_phone": "13912345678", "employees": 12,
                                 "grid_code": "21102100100100102", "lon": 123.11634517678215,
                                 "lat": 41.2114114}
MEMBER_EXAMPLE = {"id": 8, "person_id": 44, "group": "disabled", "group_label": "残疾人",
                  "attributes": {"category": "肢体", "grade": "二级", "certificate_no": "21102119390610955142"},
                  "risk_level": "low", "visit_interval_days": 30, "responsible_user_id": 4,
                  "grid_code": "21102100100100101", "last_visit_at": "2026-10-03T02:19:17Z",
                  "next_visit_due": "2026-11-02", "overdue_days": 29, "valid_from": "2021-12-08",
                  "valid_to": None,
                  "person": {"id": 44, "name": "薛*", "citizen_id": "2110**********9551", "sex": "male",
                             "sex_label": "男", "age": 87, "birth_date": None, "ethnicity": "汉族",
                             "phone": None, "hukou_region_code": "211021",
                             "hukou_address": "辽阳县晨光街道复兴社区东****", "residence_address": "辽阳县晨光街道复兴社区东****",
                             "house_id": 38, "grid_code": "21102100100100101",
                             "population_type": "registered", "population_type_label": "户籍人口",
                             "moved_in_on": "2016-07-15", "moved_out_on": None, "status": "active",
                             "masked": True}}
ENROLLED_EXAMPLE = {"id": 41, "person_id": 361, "group": "elderly_alone", "group_label": "独居老人",
                    "attributes": {"health": "一般", "emergency_contact": "王明"}, "risk_level": "medium",
                    "visit_interval_days": 7, "responsible_user_id": 4, "grid_code": "21102100100100102",
                    "last_visit_at": None, "next_visit_due": "2026-12-08", "overdue_days": 0,
                    "valid_from": "2026-12-01", "valid_to": None}
VISIT_EXAMPLE = {"id": 37, "visited_at": "2026-12-01T21:46:20.430192Z", "grid_code": "21102100100100102",
                 "method": "home"}
OVERDUE_EXAMPLE = [{"worker_id": 4, "username": "gridworker", "display_name": "网格员 王芳", "overdue": 1,
                    "max_overdue_days": 29,
                    "members": [{"member_id": 8, "person_id": 44, "group": "disabled", "group_label": "残疾人",
                                 "overdue_days": 29, "next_visit_due": "2026-11-02"}]}]
DECLARATION_EXAMPLE = {"id": 1, "tracking_code": "6D4C88A7", "building_id": 79, "kind": "tenants",
                       "declarer_name": "李*东", "declarer_phone": "139****5678", "unit_no": "2",
                       "room_no": "502", "moved_in_on": "2026-11-01",
                       "people": [{"name": "张*", "citizen_id": "1101**********0017", "phone": None,
                                   "relation": "tenant"}],
                       "status": "pending", "status_label": "待审核", "reason": None,
                       "grid_code": "21102100100100102", "created_at": "2026-12-01T21:46:20.551829Z",
                       "reviewed_at": None, "building_name": "幸福小区3号楼",
                       "building_address": "辽阳县首山镇幸福路12号幸福小区3号楼"}
APPROVED_EXAMPLE = {"id": 1, "tracking_code": "6D4C88A7", "building_id": 79, "kind": "tenants",
                    "declarer_name": "李*东", "declarer_phone": "139****5678", "unit_no": "2", "room_no": "502",
                    "moved_in_on": "2026-11-01",
                    "people": [{"name": "张*", "citizen_id": "1101**********0017", "phone": None,
                                "relation": "tenant"}],
                    "status": "approved", "status_label": "已通过", "reason": None,
                    "grid_code": "21102100100100102", "created_at": "2026-12-01T21:46:20.551829Z",
                    "reviewed_at": "2026-12-01T21:46:20.705797Z", "building_name": None,
                    "building_address": None, "house_id": 370, "created": 1, "moved": 0}
REJECTED_EXAMPLE = {"id": 2, "tracking_code": "F1CAC60E", "building_id": 79, "kind": "residence",
                    "declarer_name": "赵*", "declarer_phone": "137****5678", "unit_no": "1", "room_no": "101",
                    "moved_in_on": "2026-12-01",
                    "people": [{"name": "赵*", "citizen_id": "1101**********0034", "phone": None,
                                "relation": "head"}],
                    "status": "rejected", "status_label": "未通过", "reason": "房号与楼栋不符，请核实后重新申报",
                    "grid_code": "21102100100100102", "created_at": "2026-12-01T21:46:20.586027Z",
                    "reviewed_at": "2026-12-01T21:46:20.741690Z", "building_name": None,
                    "building_address": None}
DECLARED_EXAMPLE = {"tracking_code": "6D4C88A7", "status": "pending", "message": "申报已提交，请记下申报编号以查询审核结果"}
DECLARATION_STATUS_EXAMPLE = {"tracking_code": "6D4C88A7", "status": "approved", "status_label": "已通过",
                              "building": "幸福小区3号楼", "declarer_name": "李*东", "reason": None,
                              "created_at": "2026-12-01T21:46:20.551829Z",
                              "reviewed_at": "2026-12-01T21:46:20.705797Z"}
IMPORT_RUN_EXAMPLE = {
    "id": 1, "entity": "persons", "filename": "persons.csv", "encoding": "utf-8", "at": "2026-12-01T21:46:21.027145Z",
    "total": 2, "created": 1, "updated": 0, "unchanged": 0, "quarantined": 1, "empty_rows": 0,
    "warnings": ["文件中没有以下可选列（按空值处理）：民族、人口类型、户籍地代码、户籍地址、居住身份、入住日期"],
    "error_report": "/api/v1/imports/1/errors.xlsx",
    "quarantine": [{"row": 3, "reasons": ["身份证号：校验位错误：应为 7，实为 1"]}]}
