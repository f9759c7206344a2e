"""API shapes of the places domain."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, StrictFloat, StrictInt, StrictStr

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
