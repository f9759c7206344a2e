"""API shapes of the people domain. Responses are masked unless revealed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr

PopulationType = Literal["registered", "floating", "overseas"]
Relation = Literal["head", "spouse", "child", "parent", "grandchild", "sibling", "tenant", "other"]
Number = StrictFloat | StrictInt


class PersonIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "citizen_id": "11010519491231002X", "name": "王秀英", "phone": "13812345678", "house_id": 1,
        "population_type": "registered", "ethnicity": "汉族"}]})

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
    name: StrictStr | None = Field(None, min_length=1, max_length=30)
    phone: StrictStr | None = Field(None, max_length=20)
    ethnicity: StrictStr | None = Field(None, max_length=20)
    hukou_region_code: StrictStr | None = Field(None, pattern=r"^\d{2,12}$", description="户籍地 division code")
    hukou_address: StrictStr | None = Field(None, max_length=200)
    population_type: PopulationType | None = None
    status: Literal["active", "moved_out", "deceased"] | None = None
    moved_out_on: date | None = None


class PersonOut(BaseModel):
    id: int
    name: str
    citizen_id: str
    sex: str
    sex_label: str
    age: int
    birth_date: date | None = Field(None, description="Only when revealed")
    ethnicity: str | None
    phone: str | None
    hukou_region_code: str | None
    hukou_address: str | None
    residence_address: str | None
    house_id: int | None
    grid_code: str | None
    population_type: str
    population_type_label: str
    moved_in_on: date | None
    moved_out_on: date | None
    status: str
    masked: bool


class RevealIn(BaseModel):
    purpose: StrictStr = Field(min_length=4, max_length=200, examples=["核实矛盾纠纷当事人身份"])


class MoveIn(BaseModel):
    house_id: StrictInt
    role: Literal["owner", "family", "tenant", "other"] = "family"
    on: date | None = None


class SearchOut(BaseModel):
    kind: Literal["citizen_id", "phone", "phone_tail", "pinyin", "address", "name"]
    results: list[PersonOut]


class HouseholdIn(BaseModel):
    house_id: StrictInt
    head_person_id: StrictInt
    kind: Literal["registered", "actual"] = "actual"
    code: StrictStr | None = Field(None, max_length=40, description="户号; generated when omitted")


class MemberIn(BaseModel):
    person_id: StrictInt
    relation: Relation


class OrganizationIn(BaseModel):
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
        "group": "elderly_alone", "attributes": {"health": "一般", "emergency_contact": "王明 13900000000"},
        "risk_level": "medium", "responsible_user_id": 4}]})

    group: Literal["community_correction", "released_prisoner", "drug_rehab", "mental_disorder", "petition_focus",
                   "left_behind_child", "elderly_alone", "disabled", "subsistence"]
    attributes: dict[str, Any] = {}
    risk_level: Literal["low", "medium", "high"] = "low"
    responsible_user_id: StrictInt | None = None
    visit_interval_days: StrictInt | None = Field(None, ge=1, le=366)


class VisitIn(BaseModel):
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
        "people": [{"name": "张三", "citizen_id": "11010519491231002X", "relation": "tenant"}]}]})

    kind: Literal["residence", "tenants"] = "residence"
    declarer_name: StrictStr = Field(max_length=60)
    declarer_phone: StrictStr = Field(max_length=30)
    unit_no: StrictStr | None = Field(None, max_length=10)
    room_no: StrictStr = Field(min_length=1, max_length=20)
    moved_in_on: date | None = None
    people: list[DeclaredPerson] = Field(min_length=1, max_length=20)


class RejectIn(BaseModel):
    reason: StrictStr = Field(max_length=500, examples=["房号与楼栋不符，请核实后重新申报"])


# --- examples of the routes that answer plain dicts (real answers of the tiny demo, trimmed) ----------

IMPORT_RUN_EXAMPLE = {
    "id": 1, "entity": "persons", "filename": "persons.csv", "encoding": "utf-8", "at": "2026-12-01T21:46:21.027145Z",
    "total": 2, "created": 1, "updated": 0, "unchanged": 0, "quarantined": 1, "empty_rows": 0,
    "warnings": ["文件中没有以下可选列（按空值处理）：民族、人口类型、户籍地代码、户籍地址、居住身份、入住日期"],
    "error_report": "/api/v1/imports/1/errors.xlsx",
    "quarantine": [{"row": 3, "reasons": ["身份证号：校验位错误：应为 7，实为 1"]}]}
