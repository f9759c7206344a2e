"""API shapes of the places domain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr, StringConstraints

BuildingUse = Literal["residential", "commercial", "office", "industrial", "public", "mixed", "other"]
HouseUse = Literal["residential", "commercial", "office", "industrial", "other"]
HouseStatus = Literal["self_occupied", "rented", "vacant", "business", "other"]
Number = StrictFloat | StrictInt

USE_LABELS = {"residential": "住宅", "commercial": "商业", "office": "办公", "industrial": "工业",
              "public": "公共设施", "mixed": "商住混合", "other": "其他"}
STATUS_LABELS = {"self_occupied": "自住", "rented": "出租", "vacant": "空置", "business": "经营", "other": "其他"}


class BuildingIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "name": "幸福小区3号楼", "address": "辽阳县首山镇幸福路12号幸福小区3号楼", "lon": 123.116345, "lat": 41.211411,
        "use": "residential", "floors": 6, "units": 3, "built_year": 2008}]})

    name: StrictStr = Field(min_length=1, max_length=100, examples=["幸福小区3号楼"])
    address: StrictStr | None = Field(None, max_length=200, examples=["辽阳县首山镇幸福路12号幸福小区3号楼"])
    lon: Number = Field(ge=-180, le=180, examples=[123.18])
    lat: Number = Field(ge=-90, le=90, examples=[41.32])
    crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84"
    use: BuildingUse = "residential"
    floors: StrictInt | None = Field(None, ge=1, le=200)
    units: StrictInt | None = Field(None, ge=1, le=50)
    built_year: StrictInt | None = Field(None, ge=1800, le=2100)


class BuildingOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 79, "code": "B2110210010010010200001", "name": "幸福小区3号楼", "address": "辽阳县首山镇幸福路12号幸福小区3号楼",
        "use": "residential", "use_label": "住宅", "floors": 7, "units": 3, "built_year": 2008, "lon": 123.11634517678215,
        "lat": 41.2114114, "h3": "8a3020a32c17fff", "grid_code": "21102100100100102", "house_count": 2,
        "declare_url": "/declare/Vy0k8Zrcz3F0LWWp", "updated_at": "2026-12-01T21:46:18.021833Z"}]})

    id: int
    code: str
    name: str
    address: str | None
    use: str
    use_label: str
    floors: int | None
    units: int | None
    built_year: int | None
    lon: float | None
    lat: float | None
    h3: str | None
    grid_code: str | None
    house_count: int = 0
    declare_url: str = Field(description="Public self-declaration form of this building")
    updated_at: datetime


class HouseIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "unit_no": "2", "floor_no": "5", "room_no": "502", "use": "residential", "area_m2": 89.5, "owner_name": "王秀英",
        "is_rental": True, "status": "rented"}]})

    unit_no: StrictStr | None = Field(None, max_length=10, examples=["2"])
    floor_no: StrictStr | None = Field(None, max_length=10, examples=["5"])
    room_no: StrictStr = Field(min_length=1, max_length=20, examples=["502"])
    use: HouseUse = "residential"
    area_m2: Number | None = Field(None, gt=0, le=100_000)
    owner_name: StrictStr | None = Field(None, max_length=60)
    is_rental: bool = False
    status: HouseStatus = "self_occupied"


class HouseOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 370, "code": "B2110210010010010200001-2-502", "building_id": 79,
        "address": "辽阳县首山镇幸福路12号幸福小区3号楼2单元502室", "unit_no": "2", "floor_no": "5", "room_no": "502",
        "use": "residential", "area_m2": 89.5, "owner_name": "王*英", "is_rental": False, "status": "self_occupied",
        "status_label": "自住", "grid_code": "21102100100100102", "resident_count": 2}]})

    id: int
    code: str
    building_id: int
    address: str | None
    unit_no: str | None
    floor_no: str | None
    room_no: str | None
    use: str
    area_m2: float | None
    owner_name: str | None = Field(description="Masked unless revealed")
    is_rental: bool
    status: str
    status_label: str
    grid_code: str | None
    resident_count: int = 0


class ChangeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "at": "2026-12-01T21:46:18.022665Z", "actor_id": 1, "action": "update", "changes": {"floors": [6, 7]}}]})

    at: datetime
    actor_id: int | None
    action: str
    changes: dict


class BuildingPatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"floors": 7}]})

    name: StrictStr | None = Field(None, min_length=1, max_length=100)
    address: StrictStr | None = Field(None, max_length=200)
    use: BuildingUse | None = None
    floors: StrictInt | None = Field(None, ge=1, le=200)
    units: StrictInt | None = Field(None, ge=1, le=50)
    built_year: StrictInt | None = Field(None, ge=1800, le=2100)


class HousePatch(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "self_occupied", "is_rental": False}]})

    use: HouseUse | None = None
    area_m2: Number | None = Field(None, gt=0, le=100_000)
    owner_name: StrictStr | None = Field(None, max_length=60)
    is_rental: bool | None = None
    status: HouseStatus | None = None


# --- the standard address library (gridgov.places.matching, gridgov.places.address_api) ---------

AddressLevel = Literal["building", "unit", "room"]
AliasField = Literal["road", "poi", "community", "town", "district", "city", "province"]
NoControl = r"^[^\x00-\x1f\x7f]*$"
AddressText = Annotated[StrictStr, StringConstraints(max_length=200, pattern=NoControl)]
ADDRESS_EXAMPLE = "辽宁省辽阳市辽阳县人民街道团结社区长安路2号新运里1号楼2单元502室"

# real answers of the tiny demo (trimmed)
_ROOM_QUERY = {"text": "河东小区1号楼2单元101室", "normalized": "河东小区1号楼2单元101室", "canonical": "河东小区1号楼2单元101室",
               "key": "河东小区1号楼2单元101室", "level": "room",
               "elements": {"poi": "河东小区", "building_no": "1", "unit_no": "2", "room_no": "101"}, "ignored": []}
_UNIT_CANDIDATE = {"id": 80, "code": "A2110210010010010100001-2", "text": "辽宁省辽阳市辽阳县晨光街道复兴社区东风路2号河东小区1号楼2单元",
                   "level": "unit", "score": 0.99, "exact": False, "lon": 123.1149691, "lat": 41.2123254,
                   "h3": "8a3020a32d8ffff", "grid_code": "21102100100100101",
                   "agreement": {"poi": 1.0, "building_no": 1.0, "unit_no": 1.0}, "note": None}
_BUILDING_CANDIDATE = {"id": 1, "code": "A2110210010010010100001", "text": "辽宁省辽阳市辽阳县晨光街道复兴社区东风路2号河东小区1号楼",
                       "level": "building", "score": 0.8929, "exact": False, "lon": 123.1149691, "lat": 41.2123254,
                       "h3": "8a3020a32d8ffff", "grid_code": "21102100100100101",
                       "agreement": {"poi": 1.0, "building_no": 1.0, "unit_no": 0.5}, "note": None}
_FUZZY_MATCH = {
    "query": {"text": "河东小区一号楼二单元（北门对面）", "normalized": "河东小区1号楼2单元", "canonical": "河东小区1号楼2单元",
              "key": "河东小区1号楼2单元", "level": "unit", "elements": {"poi": "河东小区", "building_no": "1", "unit_no": "2"},
              "ignored": []},
    "match": "fuzzy", "ambiguous": False, "reason": None, "message": None, "best_score": 0.99,
    "candidates": [_UNIT_CANDIDATE, _BUILDING_CANDIDATE]}
_EMPTY_MATCH = {
    "query": {"text": "", "normalized": "", "canonical": None, "key": None, "level": None, "elements": {}, "ignored": []},
    "match": "none", "ambiguous": False, "reason": "empty", "message": "地址为空（或只有噪声词、标点）", "best_score": None,
    "candidates": []}


def _element(max_length: int, example: str) -> Any:
    return Field(None, max_length=max_length, pattern=NoControl, examples=[example])


class AddressElements(BaseModel):
    """The elements of an address, coarse to fine (all optional)."""

    model_config = ConfigDict(extra="forbid")

    province: StrictStr | None = _element(20, "辽宁省")
    city: StrictStr | None = _element(20, "辽阳市")
    district: StrictStr | None = _element(20, "辽阳县")
    town: StrictStr | None = _element(30, "人民街道")
    community: StrictStr | None = _element(30, "团结社区")
    road: StrictStr | None = _element(40, "长安路")
    road_no: StrictStr | None = _element(20, "2")
    poi: StrictStr | None = _element(60, "新运里")
    building_no: StrictStr | None = _element(20, "1")
    unit_no: StrictStr | None = _element(10, "2")
    floor_no: StrictStr | None = _element(10, "5")
    room_no: StrictStr | None = _element(20, "502")


class AddressIn(BaseModel):
    """A new standard address: ``text`` is parsed into elements, ``elements`` override what the
    parser found. A building needs lon/lat; a unit or room defaults to its building's location.
    Province … community are filled from where the point lies."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"text": "长安路2号新运里9号楼", "lon": 123.116345, "lat": 41.211411},
        {"elements": {"road": "长安路", "road_no": "2", "poi": "新运里", "building_no": "9", "unit_no": "1"}},
    ]})

    text: AddressText | None = Field(None, examples=["长安路2号新运里9号楼"])
    elements: AddressElements | None = None
    lon: Number | None = Field(None, ge=-180, le=180, examples=[123.1801])
    lat: Number | None = Field(None, ge=-90, le=90, examples=[41.3202])
    crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84"


class AddressOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 113, "code": "A2110210010010010100001-2-101", "text": "辽宁省辽阳市辽阳县晨光街道复兴社区东风路2号河东小区1号楼2单元101室",
        "level": "room", "key": "东风路2号河东小区1号楼2单元101室", "parent_id": 80,
        "elements": {"province": "辽宁省", "city": "辽阳市", "district": "辽阳县", "town": "晨光街道", "community": "复兴社区",
                     "road": "东风路", "road_no": "2", "poi": "河东小区", "building_no": "1", "unit_no": "2", "floor_no": "1",
                     "room_no": "101"},
        "community_code": "211021001001", "lon": 123.1149691, "lat": 41.2123254, "h3": "8a3020a32d8ffff",
        "grid_code": "21102100100100101", "children": None}]})

    id: int
    code: str = Field(description="Stable code: A + grid code + sequence; units -U, rooms -U-R",
                      examples=["A2110210010010010100001-2-502"])
    text: str = Field(description="Canonical text", examples=[ADDRESS_EXAMPLE])
    level: AddressLevel
    key: str | None = Field(description="Canonical text from the road down", examples=["长安路2号新运里1号楼2单元502室"])
    parent_id: int | None = None
    elements: dict[str, str] = Field(examples=[{"road": "长安路", "road_no": "2", "poi": "新运里",
                                                "building_no": "1", "unit_no": "2", "room_no": "502"}])
    community_code: str | None
    lon: float | None
    lat: float | None
    h3: str | None
    grid_code: str | None
    children: int | None = Field(None, description="Number of units/rooms directly under it (detail only)")


class MatchIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"text": "河东小区一号楼二单元（北门对面）", "limit": 2}, {"text": "东风路２号河东小区一号楼"},
    ]})

    text: StrictStr = Field(min_length=1, max_length=200, examples=["辽阳县长安路2号新运里1栋2单元502室"])
    limit: StrictInt = Field(5, ge=1, le=20, description="Most candidates returned")


class GeocodeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "河东小区1号楼2单元101室"}, {"text": "辽阳县晨光街道"}]})

    text: StrictStr = Field(min_length=1, max_length=200, examples=["长安路2号新运里1号楼"])


class BatchMatchIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"lines": ["河东小区一号楼二单元（北门对面）", ""], "limit": 2},
    ]})

    lines: list[Annotated[StrictStr, StringConstraints(max_length=200)]] = Field(
        min_length=1, max_length=1000, description="Up to 1000 addresses; blank lines answer reason=empty")
    limit: StrictInt = Field(1, ge=1, le=5, description="Candidates per line")


class AddressQueryOut(BaseModel):
    text: str = Field(examples=["长安路２号新运里一号楼二单元五〇二室"])
    normalized: str = Field(examples=["长安路2号新运里1号楼2单元502室"])
    canonical: str | None = Field(None, examples=["长安路2号新运里1号楼2单元502室"])
    key: str | None = None
    level: AddressLevel | None = None
    elements: dict[str, str]
    ignored: list[str] = Field(description="Parts dropped as noise", examples=[["对面"]])


class CandidateOut(BaseModel):
    id: int
    code: str
    text: str = Field(examples=[ADDRESS_EXAMPLE])
    level: AddressLevel
    score: float = Field(ge=0, le=1, description="1.0 only for an exact match", examples=[0.97])
    exact: bool
    lon: float | None
    lat: float | None
    h3: str | None
    grid_code: str | None
    agreement: dict[str, float] = Field(description="Per element agreement 0..1",
                                        examples=[{"road": 1.0, "poi": 1.0, "building_no": 1.0, "room_no": 0.5}])
    note: str | None = Field(None, description="How it was found, e.g. through a former name",
                             examples=["曾用名：机床厂宿舍 → 金地小区"])


MatchReason = Literal["empty", "unparseable", "region_only", "no_candidates", "below_threshold"]


class MatchOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_FUZZY_MATCH]})

    query: AddressQueryOut
    match: Literal["exact", "fuzzy", "none"]
    ambiguous: bool = Field(description="Several candidates score (nearly) the same")
    reason: MatchReason | None = Field(None, description="Why nothing matched (match = none)")
    message: str | None = Field(None, examples=["标准地址库中没有同一道路、门牌或小区的地址"])
    best_score: float | None = None
    candidates: list[CandidateOut]


class BatchMatchOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"count": 2, "matched": 1, "results": [
        _FUZZY_MATCH, _EMPTY_MATCH]}]})

    count: int
    matched: int
    results: list[MatchOut]


class RegionHitOut(BaseModel):
    code: str = Field(examples=["211021100"])
    name: str = Field(examples=["枣营镇"])
    level: str = Field(examples=["street"])
    lon: float | None
    lat: float | None
    h3: str | None


class GeocodeAddressOut(BaseModel):
    id: int
    code: str
    text: str
    score: float


class GeocodeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"query": _ROOM_QUERY, "match": "fuzzy", "ambiguous": False, "precision": "room", "coarse": False,
         "lon": 123.1149691, "lat": 41.2123254, "h3": "8a3020a32d8ffff", "grid_code": "21102100100100101",
         "address": {"id": 113, "code": "A2110210010010010100001-2-101",
                     "text": "辽宁省辽阳市辽阳县晨光街道复兴社区东风路2号河东小区1号楼2单元101室", "score": 0.99},
         "region": None, "alternatives": [{**_UNIT_CANDIDATE, "score": 0.8889,
                                           "agreement": {"poi": 1.0, "building_no": 1.0, "unit_no": 1.0, "room_no": 0.5}}]},
        {"query": {"text": "辽阳县晨光街道", "normalized": "辽阳县晨光街道", "canonical": "辽阳县晨光街道", "key": None,
                   "level": None, "elements": {"district": "辽阳县", "town": "晨光街道"}, "ignored": []},
         "match": "region", "ambiguous": False, "precision": "street", "coarse": True, "lon": 123.11496547661551,
         "lat": 41.2032652, "h3": "8a3020a324d7fff", "grid_code": None, "address": None,
         "region": {"code": "211021001", "name": "晨光街道", "level": "street", "lon": 123.11496547661551,
                    "lat": 41.2032652, "h3": "8a3020a324d7fff"},
         "alternatives": []}]})

    query: AddressQueryOut
    match: Literal["exact", "fuzzy", "region"]
    ambiguous: bool
    precision: str = Field(description="building | unit | room, or the region level when coarse",
                           examples=["room"])
    coarse: bool = Field(description="True: only the region matched; lon/lat is the region's label point")
    lon: float | None = Field(examples=[123.1801])
    lat: float | None = Field(examples=[41.3202])
    h3: str | None
    grid_code: str | None = Field(None, examples=["21102100100100101"])
    address: GeocodeAddressOut | None = None
    region: RegionHitOut | None = None
    alternatives: list[CandidateOut]


class AliasIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"field": "poi", "alias": "机床厂宿舍", "name": "河东小区", "kind": "former"},
    ]})

    field: AliasField
    alias: StrictStr = Field(min_length=1, max_length=60, pattern=NoControl, examples=["机床厂宿舍"])
    name: StrictStr = Field(min_length=1, max_length=60, pattern=NoControl, examples=["新运里"])
    kind: Literal["alias", "former"] = "alias"
    region_code: StrictStr | None = Field(None, pattern=r"^\d{2,17}$", examples=["211021"])


class AliasOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "field": "poi", "alias": "机床厂宿舍", "name": "河东小区", "kind": "former", "region_code": None}]})

    id: int
    field: str
    alias: str
    name: str
    kind: str
    region_code: str | None = None
