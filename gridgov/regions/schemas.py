"""API shapes of the regions domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

Level = Literal["province", "city", "county", "street", "community", "grid", "micro_grid", "exclusive_grid"]
MapLevel = Literal["county", "street", "community", "grid", "micro_grid", "exclusive_grid"]
Crs = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]


_GRID_ITEM = {
    "code": "211021001001001", "name": "复兴社区第1网格", "level": "grid", "level_label": "网格",
    "parent_code": "211021001001", "child_count": 3, "bbox": [123.105998, 41.2056536, 123.1220101, 41.217304],
    "center": [123.11634517678215, 41.2114114]}


class RegionRef(BaseModel):
    code: str
    name: str
    level: Level


class RegionItem(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {**_GRID_ITEM, "path": "辽阳县 / 晨光街道 / 复兴社区 / 复兴社区第1网格"}]})

    code: str = Field(examples=["211021001001"])
    name: str = Field(examples=["新华社区"])
    level: Level
    level_label: str = Field(examples=["社区/村"])
    parent_code: str | None = None
    child_count: int = 0
    bbox: list[float] | None = Field(None, description="[min_lon, min_lat, max_lon, max_lat]")
    center: list[float] | None = Field(None, description="[lon, lat] of a point inside the region")
    path: str | None = Field(None, description="Names from the county down, for search results")


class RegionDetail(RegionItem):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        **_GRID_ITEM, "id": 10, "version": 1, "valid_from": "2026-12-01T21:33:28.312159Z", "valid_to": None,
        "area_m2": 771599.9142738627, "h3": "8a3020a32c17fff", "exclusive_type": None,
        "ancestors": [{"code": "21", "name": "辽宁省", "level": "province"}, {"code": "2110", "name": "辽阳市", "level": "city"},
                      {"code": "211021", "name": "辽阳县", "level": "county"},
                      {"code": "211021001", "name": "晨光街道", "level": "street"},
                      {"code": "211021001001", "name": "复兴社区", "level": "community"}],
        "geometry": None}]})

    id: int = Field(description="Id of this version of the region")
    version: int
    valid_from: datetime
    valid_to: datetime | None = None
    area_m2: float | None = None
    h3: str | None = Field(None, description="H3 cell (hex) of the label point")
    exclusive_type: str | None = None
    ancestors: list[RegionRef] = []
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON geometry when ?geometry=true")


Number = StrictFloat | StrictInt


class LocateRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"points": [[123.116345, 41.211411], [0, 0]]}]})

    points: list[tuple[Number, Number]] = Field(max_length=100_000, description="[[lon, lat], ...]")
    crs: Crs = Field("wgs84", description="Coordinate system of the points (gcj02: Amap/Tencent, bd09: Baidu)")
    at: datetime | None = Field(None, description="Locate against the boundaries valid at this time")


class LocateResult(BaseModel):
    micro_grid: str | None = None
    grid: str | None = None
    community: str | None = None
    street: str | None = None
    county: str | None = None
    region_id: int | None = Field(None, description="Version id of the finest region found")
    exclusive_grids: list[str] = []


class LocateResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"results": [
        {"micro_grid": "21102100100100102", "grid": "211021001001001", "community": "211021001001",
         "street": "211021001", "county": "211021", "region_id": 23, "exclusive_grids": []},
        None]}]})

    results: list[LocateResult | None]


class TopologyIssue(BaseModel):
    kind: str = Field(examples=["overlap"])
    code: str
    message: str
    area_m2: float | None = None
    other_code: str | None = None


_TOPOLOGY_FAILED = {"ok": False, "checked": 1, "error_count": 2, "counts": {"outside_parent": 1, "gap": 1}, "errors": [
    {"kind": "outside_parent", "code": "211021001001001", "message": "区域 211021001001001 有 1.6 m² 超出上级 211021001001 的范围",
     "area_m2": 1.65, "other_code": "211021001001"},
    {"kind": "gap", "code": "211021001001", "message": "上级 211021001001 有 3.3 m² 未被其下级网格覆盖", "area_m2": 3.34,
     "other_code": None}]}
TOPOLOGY_FAILED_EXAMPLE = {"error": {"code": "topology_failed", "message": "区域数据未通过拓扑检查，未写入任何数据",
                                     "details": _TOPOLOGY_FAILED}}


class TopologyReportOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"ok": True, "checked": 3, "error_count": 0, "counts": {}, "errors": []}, _TOPOLOGY_FAILED]})

    ok: bool
    checked: int
    error_count: int
    counts: dict[str, int]
    errors: list[TopologyIssue]


class ImportResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "created": 0, "updated": 1, "unchanged": 0,
        "report": {"ok": True, "checked": 1, "error_count": 0, "counts": {}, "errors": []}}]})

    created: int
    updated: int
    unchanged: int
    report: TopologyReportOut


class NeighbourList(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "211021001001001", "neighbours": [
        {"code": "211021001001002", "name": "复兴社区第2网格", "level": "grid"},
        {"code": "211021001001003", "name": "复兴社区第3网格", "level": "grid"}]}]})

    code: str
    neighbours: list[RegionRef]


# --- examples of the routes that answer plain dicts (real answers of the tiny demo, trimmed) ----------

HISTORY_EXAMPLE = [{"id": 10, "version": 1, "name": "复兴社区第1网格", "valid_from": "2026-12-01T21:33:28.312159Z",
                    "valid_to": None, "area_m2": 771599.914274}]
GRIDS_EXAMPLE = {"type": "FeatureCollection", "features": [{
    "type": "Feature",
    "properties": {"code": "211021001001001", "name": "复兴社区第1网格", "level": "grid", "parent_code": "211021001001",
                   "exclusive_type": None},
    "geometry": {"type": "Polygon", "coordinates": [[
        [123.117025, 41.21713], [123.12201, 41.2113], [123.107008, 41.205654], [123.116201, 41.217304],
        [123.117025, 41.21713]]]}}]}
