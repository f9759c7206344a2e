"""HTTP API of the sensor channel: devices post alarms with their key; admins manage devices and keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Response

from gridgov.access.deps import CurrentUser, Db
from gridgov.openapi import err, errors
from gridgov.sensors import schemas, service
from gridgov.sensors.models import SensorKey

router = APIRouter(prefix="/api/v1/sensors", tags=["sensors"], responses=errors(401))
ADMIN_ONLY = err(403, "permission_denied", "只有系统管理员可以管理物联设备和密钥")

DeviceRef = Annotated[str, Path(pattern=schemas.CODE.replace("{2,63}", "{0,63}"), description="Device id or code")]


def sensor_key(db: Db, x_sensor_key: Annotated[str | None, Header(max_length=100,
                                                                   description="The device's or integration's key")]
               = None) -> SensorKey:
    return service.check_key(db, x_sensor_key)


@router.post("/alarms", status_code=201, response_model=schemas.AlarmOut,
             summary="A device reports an alarm (files an event of channel sensor) or that it is back to normal",
             responses={200: {"description": "A repeat of a message already received (header Idempotent-Replay), "
                                             "or a clearance (noted on the open event)"},
                        **err(401, "sensor_key_missing", "缺少设备密钥：请在 X-Sensor-Key 请求头中提供",
                              "Missing or unknown X-Sensor-Key"),
                        **err(403, "sensor_device_unknown", "设备 JG-0107 未登记或不属于该密钥",
                              "Revoked key, unknown or inactive device, or a device of another key"),
                        **err(409, "idempotency_key_reused", "该幂等键已用于另一份不同内容的上报",
                              "The alarm id was used for a message with other content",
                              {"event_code": "SJ202612010002191"}),
                        **errors(422)})
def post_alarm(body: schemas.AlarmIn, response: Response, db: Db,
               key: Annotated[SensorKey, Depends(sensor_key)]) -> Any:
    out, new = service.receive(db, key, body.model_dump())
    if not new:
        response.status_code = 200
        response.headers["Idempotent-Replay"] = "true"
    elif out["kind"] == "cleared":
        response.status_code = 200
    return out


@router.post("/devices", status_code=201, response_model=schemas.DeviceCreated,
             summary="Register a device (admin); its own key is in the answer, shown only this once",
             responses=ADMIN_ONLY | errors(422)
             | err(409, "device_code_taken", "设备编码 YG-0001 已登记", details={"code": "YG-0001"}))
def register(body: schemas.DeviceIn, db: Db, user: CurrentUser) -> Any:
    d, key = service.register_device(db, user, body.model_dump())
    return {**service.device_out(d, db.get(SensorKey, d.key_id)), "key": key}


@router.get("/devices", response_model=list[schemas.DeviceOut], summary="Registered devices (admin)",
            responses=ADMIN_ONLY | errors(422))
def devices(db: Db, user: CurrentUser, active: bool | None = None,
            limit: Annotated[int, Query(ge=1, le=5000)] = 500) -> Any:
    return service.list_devices(db, user, active=active, limit=limit)


@router.post("/devices/{ref}/deactivate", response_model=schemas.DeviceOut,
             summary="Switch a device off (admin): its alarms are refused; its own key is revoked",
             responses=ADMIN_ONLY | errors(422) | err(404, "device_not_found", "设备 NOPE-1 不存在"))
def deactivate(ref: DeviceRef, db: Db, user: CurrentUser) -> Any:
    d = service.deactivate_device(db, user, ref)
    return service.device_out(d, db.get(SensorKey, d.key_id))


@router.post("/keys", status_code=201, response_model=schemas.KeyCreated,
             summary="Make an integration key for an IoT platform (admin); shown only this once",
             responses=ADMIN_ONLY | errors(422))
def create_key(body: schemas.KeyIn, db: Db, user: CurrentUser) -> Any:
    row, key = service.create_integration_key(db, body.name, user)
    return {**service.key_out(row, 0), "key": key}


@router.get("/keys", response_model=list[schemas.KeyOut], summary="Sensor keys (admin)", responses=ADMIN_ONLY)
def keys(db: Db, user: CurrentUser) -> Any:
    return service.list_keys(db, user)


@router.post("/keys/{key_id}/revoke", response_model=schemas.KeyOut, summary="Revoke a sensor key (admin)",
             responses=ADMIN_ONLY | errors(422) | err(404, "sensor_key_not_found", "物联密钥 99999 不存在"))
def revoke(key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], db: Db, user: CurrentUser) -> Any:
    return service.key_out(service.revoke_key(db, key_id, user))
