"""API shapes of the sensor channel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

from gridgov.events.schemas import EventOut

Number = StrictFloat | StrictInt
CODE = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{2,63}$"
DeviceType = Literal["smoke", "manhole_tilt", "water_level", "gas", "hydrant_pressure", "other"]


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "code": "YG-0001", "type": "smoke", "name": "幸福小区3号楼2单元烟感", "lon": 123.116345, "lat": 41.211411,
        "address": "幸福路12号幸福小区3号楼2单元", "department_id": 16}]})

    code: StrictStr = Field(pattern=CODE, description="The device's own id (IMEI, serial number, ...)")
    type: DeviceType = "other"
    name: StrictStr = Field(min_length=1, max_length=100)
    lon: Number = Field(ge=-180, le=180)
    lat: Number = Field(ge=-90, le=90)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    address: StrictStr | None = Field(None, max_length=200)
    item_code: StrictStr | None = Field(None, min_length=1, max_length=16,
                                        description="The catalog item an alarm files as (default by type)")
    department_id: StrictInt | None = Field(None, ge=1, le=2**31 - 1, description="The owner department")
    key_id: StrictInt | None = Field(None, ge=1, le=2**31 - 1,
                                     description="An integration key to use; without it the device gets its own")


# real answers of the tiny demo
_DEVICE = {"id": 1, "code": "YG-0001", "type": "smoke", "type_label": "烟感探测器", "name": "幸福小区3号楼2单元烟感",
           "address": "幸福路12号幸福小区3号楼2单元", "lon": 123.116345, "lat": 41.211411,
           "grid_code": "21102100100100102", "item_code": "XF011", "department_id": 16, "key_id": 2,
           "key_kind": "device", "key_prefix": "ekPpcL", "active": True,
           "created_at": "2026-12-01T22:03:50.543347Z", "last_seen_at": "2026-12-01T22:03:50.640819Z"}


class DeviceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DEVICE]})

    id: int
    code: str
    type: str
    type_label: str
    name: str
    address: str | None
    lon: float | None
    lat: float | None
    grid_code: str | None
    item_code: str
    department_id: int | None
    key_id: int
    key_kind: str | None = None
    key_prefix: str | None = None
    active: bool
    created_at: datetime
    last_seen_at: datetime | None = None


class DeviceCreated(DeviceOut):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_DEVICE, "last_seen_at": None,
                                                               "key": "sns_ekPpcLMOWLj9Ojnn5K5CBaYAyWK3y4N_y3f7HQTIsPc"}]})

    key: str | None = Field(None, description="The device's own key, shown only now (None with key_id)")


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"name": "城市物联网平台"}]})

    name: StrictStr = Field(min_length=1, max_length=100, description="The IoT platform or integration")


_KEY = {"id": 2, "prefix": "ekPpcL", "name": "设备 YG-0001", "kind": "device", "active": True,
        "created_at": "2026-12-01T22:03:50.542459Z", "last_used_at": "2026-12-01T22:03:50.640819Z",
        "devices": 1}
_NEW_KEY = {"id": 1, "prefix": "Ca24bD", "name": "城市物联网平台", "kind": "integration", "active": True,
            "created_at": "2026-12-01T22:03:48.429617Z", "last_used_at": None, "devices": 0,
            "key": "sns_Ca24bDpk4aRQ8kr9SVwENpMq1fhMDWPskzasVLP397g"}


class KeyOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_KEY]})

    id: int
    prefix: str
    name: str
    kind: str
    active: bool
    created_at: datetime
    last_used_at: datetime | None = None
    devices: int | None = None


class KeyCreated(KeyOut):
    model_config = ConfigDict(json_schema_extra={"examples": [_NEW_KEY]})

    key: str = Field(description="Shown only now; send it in X-Sensor-Key")


class AlarmIn(BaseModel):
    """One message from a device: an alarm, or ``status: cleared`` when it is back to normal."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"device_code": "YG-0001", "alarm_id": "A20261201-0007", "alarm_type": "smoke", "value": 0.31,
         "unit": "dB/m", "observed_at": "2026-12-01T08:15:00+08:00"},
        {"device_code": "YG-0001", "alarm_id": "A20261201-0007", "alarm_type": "smoke", "status": "cleared",
         "value": 0.02, "observed_at": "2026-12-01T08:40:00+08:00"}]})

    device_code: StrictStr = Field(pattern=CODE)
    alarm_id: StrictStr = Field(pattern=r"^[A-Za-z0-9_.:\-]{1,48}$", description="Unique per device")
    alarm_type: StrictStr = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$", description="smoke, tilt, water_high, ...")
    status: Literal["alarm", "cleared"] = "alarm"
    value: Number | None = Field(None, ge=-1e12, le=1e12, allow_inf_nan=False)
    unit: StrictStr | None = Field(None, max_length=16)
    observed_at: AwareDatetime = Field(description="When the device observed it (with a time zone)")
    message: StrictStr | None = Field(None, max_length=500)
    lon: Number | None = Field(None, ge=-180, le=180, description="Only for a device that moves")
    lat: Number | None = Field(None, ge=-90, le=90)
    crs: Literal["wgs84", "gcj02", "bd09"] = "wgs84"

    @model_validator(mode="after")
    def _check(self):
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon 与 lat 须同时提供")
        if not 2000 <= self.observed_at.year <= 2100:  # also keeps the time zone shift inside datetime's range
            raise ValueError("observed_at 须在 2000 至 2100 年之间")
        self.observed_at = self.observed_at.astimezone(UTC)
        return self


class AlarmOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"device_code": "YG-0001", "alarm_id": "A20261201-0007", "kind": "cleared", "created": True,
         "noted": True,
         "event": {"id": 2191, "code": "SJ202612010002191", "channel": "sensor", "channel_label": "物联感知",
                   "item_code": "XF011", "category_code": "XF", "severity": "urgent",
                   "title": "幸福小区3号楼2单元烟感：烟雾报警",
                   "description": "烟感探测器「幸福小区3号楼2单元烟感」（YG-0001）报警：烟雾报警，读数 0.31dB/m，时间 2026-12-01 08:15:00",
                   "address": "幸福路12号幸福小区3号楼2单元", "lon": 123.116345, "lat": 41.211411,
                   "grid_code": "21102100100100102", "region_code": "21102100100100102", "state": "reported",
                   "state_label": "已上报", "level": 0, "created_at": "2026-12-01T22:03:50.678630Z",
                   "updated_at": "2026-12-01T22:03:50.768324Z", "due_at": "2026-12-01T22:18:50.678630Z",
                   "overdue": False, "closed_at": None, "rating": None, "rating_label": None,
                   "merged_into_id": None, "is_dispute": False, "external_id": "A20261201-0007",
                   "lead_department_id": 16, "reporter_name": "幸**********感", "reporter_phone": None,
                   "version": 2, "actions": None}}]})

    device_code: str
    alarm_id: str
    kind: str
    created: bool
    noted: bool = Field(description="A clearance that added its note to the open event")
    event: EventOut | None
