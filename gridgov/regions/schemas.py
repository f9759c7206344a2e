"""API shapes of the regions domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

Level = Literal["province", "city", "county", "street", "community", "grid", "micro_grid", "exclusive_grid"]
MapLevel = Literal["county", "street", "community", "grid", "micro_grid", "exclusive_grid"]
Crs = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]


class RegionRef(BaseModel):
    code: str
    name: str
    level: Level


class RegionItem(BaseModel):
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
    model_config = ConfigDict(json_schema_extra={"examples": [{"points": [[123.17, 41.32], [0, 0]]}]})

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
        {"micro_grid": "21102100100100101", "grid": "211021001001001", "community": "211021001001",
         "street": "211021001", "county": "211021", "region_id": 42, "exclusive_grids": []},
        None]}]})

    results: list[LocateResult | None]


class TopologyIssue(BaseModel):
    kind: str = Field(examples=["overlap"])
    code: str
    message: str
    area_m2: float | None = None
    other_code: str | None = None


class TopologyReportOut(BaseModel):
    ok: bool
    checked: int
    error_count: int
    counts: dict[str, int]
    errors: list[TopologyIssue]


class ImportResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    report: TopologyReportOut


class NeighbourList(BaseModel):
    code: str
    neighbours: list[RegionRef]
