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
    unit_no: StrictStr | None = Field(None, max_length=10, examples=["2"])
    floor_no: StrictStr | None = Field(None, max_length=10, examples=["5"])
    room_no: StrictStr = Field(min_length=1, max_length=20, examples=["502"])
    use: HouseUse = "residential"
    area_m2: Number | None = Field(None, gt=0, le=100_000)
    owner_name: StrictStr | None = Field(None, max_length=60)
    is_rental: bool = False
    status: HouseStatus = "self_occupied"


class HouseOut(BaseModel):
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
    at: datetime
    actor_id: int | None
    action: str
    changes: dict


class BuildingPatch(BaseModel):
    name: StrictStr | None = Field(None, min_length=1, max_length=100)
    address: StrictStr | None = Field(None, max_length=200)
    use: BuildingUse | None = None
    floors: StrictInt | None = Field(None, ge=1, le=200)
    units: StrictInt | None = Field(None, ge=1, le=50)
    built_year: StrictInt | None = Field(None, ge=1800, le=2100)


class HousePatch(BaseModel):
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
        {"text": "辽阳县人民街道团结社区长安路2号新运里9号楼", "lon": 123.1801, "lat": 41.3202},
        {"text": "长安路2号新运里1号楼2单元1702室"},
        {"elements": {"road": "长安路", "road_no": "2", "poi": "新运里", "building_no": "1", "unit_no": "3"}},
    ]})

    text: AddressText | None = Field(None, examples=["长安路2号新运里9号楼"])
    elements: AddressElements | None = None
    lon: Number | None = Field(None, ge=-180, le=180, examples=[123.1801])
    lat: Number | None = Field(None, ge=-90, le=90, examples=[41.3202])
    crs: Literal["wgs84", "cgcs2000", "gcj02", "bd09"] = "wgs84"


class AddressOut(BaseModel):
    id: int
    code: str = Field(description="Stable code: A + grid code + sequence; units -U, rooms -U-R",
                      examples=["A2110210010010010100001-2-502"])
    text: str = Field(description="Canonical text", examples=[ADDRESS_EXAMPLE])
    level: AddressLevel
    key: str | None = Field(description="Canonical text from the road down", examples=["长安路2号新运里1号楼2单元502室"])
    parent_id: int | None
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
        {"text": "长安路２号新运里一号楼二单元五〇二室"}, {"text": "人民街道新运里1栋2单元502户（北门对面）", "limit": 3},
    ]})

    text: StrictStr = Field(min_length=1, max_length=200, examples=["辽阳县长安路2号新运里1栋2单元502室"])
    limit: StrictInt = Field(5, ge=1, le=20, description="Most candidates returned")


class GeocodeIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"text": "新运里1号楼"}, {"text": "辽阳县枣营镇"}]})

    text: StrictStr = Field(min_length=1, max_length=200, examples=["长安路2号新运里1号楼"])


class BatchMatchIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"lines": ["长安路2号新运里1号楼2单元502室", "新运里一栋", "", "辽阳县枣营镇"], "limit": 1},
    ]})

    lines: list[Annotated[StrictStr, StringConstraints(max_length=200)]] = Field(
        min_length=1, max_length=1000, description="Up to 1000 addresses; blank lines answer reason=empty")
    limit: StrictInt = Field(1, ge=1, le=5, description="Candidates per line")


class AddressQueryOut(BaseModel):
    text: str = Field(examples=["长安路２号新运里一号楼二单元五〇二室"])
    normalized: str = Field(examples=["长安路2号新运里1号楼2单元502室"])
    canonical: str | None = Field(examples=["长安路2号新运里1号楼2单元502室"])
    key: str | None
    level: AddressLevel | None
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
    query: AddressQueryOut
    match: Literal["exact", "fuzzy", "none"]
    ambiguous: bool = Field(description="Several candidates score (nearly) the same")
    reason: MatchReason | None = Field(description="Why nothing matched (match = none)")
    message: str | None = Field(examples=["标准地址库中没有同一道路、门牌或小区的地址"])
    best_score: float | None
    candidates: list[CandidateOut]


class BatchMatchOut(BaseModel):
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
    query: AddressQueryOut
    match: Literal["exact", "fuzzy", "region"]
    ambiguous: bool
    precision: str = Field(description="building | unit | room, or the region level when coarse",
                           examples=["room"])
    coarse: bool = Field(description="True: only the region matched; lon/lat is the region's label point")
    lon: float | None = Field(examples=[123.1801])
    lat: float | None = Field(examples=[41.3202])
    h3: str | None
    grid_code: str | None = Field(examples=["21102100100100101"])
    address: GeocodeAddressOut | None
    region: RegionHitOut | None
    alternatives: list[CandidateOut]


class AliasIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"field": "poi", "alias": "机床厂宿舍", "name": "新运里", "kind": "former"},
        {"field": "road", "alias": "解放路", "name": "长安路", "kind": "former", "region_code": "211021"},
    ]})

    field: AliasField
    alias: StrictStr = Field(min_length=1, max_length=60, pattern=NoControl, examples=["机床厂宿舍"])
    name: StrictStr = Field(min_length=1, max_length=60, pattern=NoControl, examples=["新运里"])
    kind: Literal["alias", "former"] = "alias"
    region_code: StrictStr | None = Field(None, pattern=r"^\d{2,17}$", examples=["211021"])


class AliasOut(BaseModel):
    id: int
    field: str
    alias: str
    name: str
    kind: str
    region_code: str | None
