"""The sensor channel (物联感知): devices registered with a key file their alarms as events.

* **Keys.** A device authenticates with a key in ``X-Sensor-Key``: its own (made when the device is
  registered) or its integration's (an IoT platform's key, shared by the devices attached to it).
  Keys are shown once and kept as their SHA-256, like Open311 keys. Missing or unknown → 401;
  revoked key, unknown or inactive device, or a device the key does not cover → 403.
* **Devices** are registered by an admin with a point, which is located to its grid (a point outside
  the territory is refused, 422), the catalog item their alarms file as (a default per device type)
  and the department that owns them (the event's proposed lead department).
* **Alarms.** ``receive`` files an event of channel ``sensor`` through
  :func:`gridgov.events.service.report`, idempotent by (device, alarm id): the same message again
  returns the same event; the same alarm id with other content is a 409. A *cleared* message (the
  device is back to normal) adds a note to the alarm's event while it is open, and files nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gridgov.access import audit
from gridgov.access.models import Department, User
from gridgov.access.roles import Role
from gridgov.db import utcnow
from gridgov.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from gridgov.events import catalog
from gridgov.events import service as events
from gridgov.events.models import Event
from gridgov.events.workflow import FINAL, State
from gridgov.regions.service import place_point
from gridgov.sensors.models import SensorAlarm, SensorDevice, SensorKey

CHANNEL = "sensor"
KEY_PREFIX = "sns_"

#: device type → (label, the catalog item its alarms file as unless the device says otherwise)
TYPES: dict[str, tuple[str, str | None]] = {
    "smoke": ("烟感探测器", "XF011"),
    "manhole_tilt": ("井盖倾斜监测", "CG012"),
    "water_level": ("水位监测", "YJ005"),
    "gas": ("可燃气体探测器", "YJ001"),
    "hydrant_pressure": ("消火栓水压监测", "XF004"),
    "other": ("其他物联设备", None),
}

#: labels of common alarm types (a device may send others; they are shown as sent)
ALARM_LABELS = {
    "smoke": "烟雾报警", "fire": "火警", "tilt": "井盖倾斜/位移", "open": "井盖开启", "water_high": "水位超限",
    "gas_leak": "可燃气体浓度超限", "pressure_low": "水压过低", "pressure_high": "水压过高",
    "tamper": "设备被拆", "battery_low": "电量低", "offline": "设备离线",
}

#: a key's or device's "last seen" is written at most this often (not one UPDATE per alarm)
TOUCH_EVERY = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _require_admin(actor: User | None) -> None:
    if actor is not None and actor.role != Role.admin:
        raise Forbidden("只有系统管理员可以管理物联设备和密钥", code="permission_denied")


# --- keys -----------------------------------------------------------------------------------

def _new_key(db: Session, name: str, kind: str) -> tuple[SensorKey, str]:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = SensorKey(key_hash=_hash(key), prefix=key[len(KEY_PREFIX):len(KEY_PREFIX) + 6], name=name[:100],
                    kind=kind, active=True, created_at=utcnow())
    db.add(row)
    db.flush()
    return row, key


def create_integration_key(db: Session, name: str, actor: User | None = None) -> tuple[SensorKey, str]:
    """A key for an IoT platform that forwards the alarms of many devices; returned in plain text
    this once (the database keeps its SHA-256). Audited."""
    _require_admin(actor)
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise Invalid("密钥名称须为 1 至 100 个字符", code="invalid_key_name")
    row, key = _new_key(db, name, "integration")
    audit.record(db, actor, "sensor.key_create", "sensor_key", row.id, after={"name": name, "prefix": row.prefix})
    return row, key


def key_out(k: SensorKey, devices: int | None = None) -> dict[str, Any]:
    return {"id": k.id, "prefix": k.prefix, "name": k.name, "kind": k.kind, "active": k.active,
            "created_at": k.created_at, "last_used_at": k.last_used_at, "devices": devices}


def list_keys(db: Session, actor: User | None = None) -> list[dict[str, Any]]:
    _require_admin(actor)
    from sqlalchemy import func

    counts = dict(db.execute(select(SensorDevice.key_id, func.count()).group_by(SensorDevice.key_id)).all())
    return [key_out(k, counts.get(k.id, 0)) for k in db.scalars(select(SensorKey).order_by(SensorKey.id))]


def revoke_key(db: Session, key_id: int, actor: User | None = None) -> SensorKey:
    """Switch a key off: every device using it is refused (403) until given another. Audited."""
    _require_admin(actor)
    row = db.get(SensorKey, key_id)
    if row is None:
        raise NotFound(f"物联密钥 {key_id} 不存在", code="sensor_key_not_found")
    if row.active:
        row.active = False
        audit.record(db, actor, "sensor.key_revoke", "sensor_key", row.id, before={"active": True},
                     after={"active": False})
    return row


# --- devices --------------------------------------------------------------------------------

def device_out(d: SensorDevice, key: SensorKey | None = None) -> dict[str, Any]:
    return {"id": d.id, "code": d.code, "type": d.type, "type_label": TYPES.get(d.type, (d.type,))[0],
            "name": d.name, "address": d.address, "lon": d.lon, "lat": d.lat, "grid_code": d.grid_code,
            "item_code": d.item_code, "department_id": d.department_id, "key_id": d.key_id,
            "key_kind": key.kind if key is not None else None, "key_prefix": key.prefix if key is not None else None,
            "active": d.active, "created_at": d.created_at, "last_seen_at": d.last_seen_at}


def register_device(db: Session, actor: User | None, data: dict[str, Any]) -> tuple[SensorDevice, str | None]:
    """Register a device. Returns ``(device, key)``: ``key`` is the device's own new key in plain text
    (shown this once), or None when the device was attached to an integration key (``key_id``)."""
    _require_admin(actor)
    code = (data.get("code") or "").strip()
    if db.scalar(select(SensorDevice.id).where(SensorDevice.code == code)) is not None:
        raise Conflict(f"设备编码 {code} 已登记", code="device_code_taken", details={"code": code})
    dtype = data.get("type") or "other"
    if dtype not in TYPES:
        raise Invalid(f"未知的设备类型：{dtype}", code="unknown_device_type", details={"types": list(TYPES)})
    item_code = data.get("item_code") or TYPES[dtype][1]
    if not item_code:
        raise Invalid("请指定该设备报警时上报的事项编码（item_code）", code="item_required")
    catalog.current_item(db, item_code)  # 422 unknown_item
    dept_id = data.get("department_id")
    if dept_id is not None and db.get(Department, dept_id) is None:
        raise Invalid(f"部门 {dept_id} 不存在", code="unknown_department")
    where = place_point(db, data["lon"], data["lat"], data.get("crs") or "wgs84")  # 422 outside_grids
    plain: str | None = None
    if data.get("key_id") is not None:
        key = db.get(SensorKey, data["key_id"])
        if key is None or key.kind != "integration" or not key.active:
            raise Invalid(f"物联密钥 {data['key_id']} 不存在、已停用或不是平台密钥", code="invalid_sensor_key")
    else:
        key, plain = _new_key(db, f"设备 {code}", "device")
    device = SensorDevice(code=code, type=dtype, name=data["name"].strip(), address=data.get("address"),
                          region_code=where["grid_code"], item_code=item_code, department_id=dept_id,
                          key_id=key.id, active=True, created_at=utcnow(), **where)
    db.add(device)
    db.flush()
    audit.record(db, actor, "sensor.device_register", "sensor_device", device.id,
                 after={"code": code, "type": dtype, "grid_code": device.grid_code, "item_code": item_code,
                        "department_id": dept_id, "key_id": key.id})
    return device, plain


def _device(db: Session, ref: int | str) -> SensorDevice:
    """A device by its code, else (all digits, not a code) by its id: IMEIs are digits too."""
    d = db.scalar(select(SensorDevice).where(SensorDevice.code == str(ref)))
    if d is None and str(ref).isdigit() and int(ref) <= 2**31 - 1:
        d = db.get(SensorDevice, int(ref))
    if d is None:
        raise NotFound(f"设备 {ref} 不存在", code="device_not_found")
    return d


def list_devices(db: Session, actor: User | None = None, *, active: bool | None = None,
                 limit: int = 500) -> list[dict[str, Any]]:
    _require_admin(actor)
    stmt = select(SensorDevice, SensorKey).join(SensorKey, SensorKey.id == SensorDevice.key_id)
    if active is not None:
        stmt = stmt.where(SensorDevice.active.is_(active))
    return [device_out(d, k) for d, k in db.execute(stmt.order_by(SensorDevice.id).limit(limit))]


def deactivate_device(db: Session, actor: User | None, ref: int | str) -> SensorDevice:
    """Switch a device off (its alarms get 403); a device's own key is revoked with it. Audited."""
    _require_admin(actor)
    d = _device(db, ref)
    if d.active:
        d.active = False
        key = db.get(SensorKey, d.key_id)
        if key is not None and key.kind == "device":
            key.active = False
        audit.record(db, actor, "sensor.device_deactivate", "sensor_device", d.id, before={"active": True},
                     after={"active": False})
    return d


# --- alarms ---------------------------------------------------------------------------------

def check_key(db: Session, key: str | None) -> SensorKey:
    """The active key sent, or 401 (missing, unknown) / 403 (revoked)."""
    if not key or not key.strip():
        raise Unauthorized("缺少设备密钥：请在 X-Sensor-Key 请求头中提供", code="sensor_key_missing")
    row = db.scalar(select(SensorKey).where(SensorKey.key_hash == _hash(key.strip())))
    if row is None:
        raise Unauthorized("设备密钥无效", code="sensor_key_invalid")
    if not row.active:
        raise Forbidden("设备密钥已停用", code="sensor_key_revoked")
    return row


def authenticate(db: Session, key: SensorKey, device_code: str) -> SensorDevice:
    """The device ``device_code`` if ``key`` is its key and it is active, else 403."""
    d = db.scalar(select(SensorDevice).where(SensorDevice.code == device_code))
    if d is None or d.key_id != key.id:  # an unknown device and another's device look the same
        raise Forbidden(f"设备 {device_code} 未登记或不属于该密钥", code="sensor_device_unknown")
    if not d.active:
        raise Forbidden(f"设备 {device_code} 已停用", code="sensor_device_inactive")
    now = utcnow()
    for row, attr in ((key, "last_used_at"), (d, "last_seen_at")):
        seen = getattr(row, attr)
        if seen is None or now - seen > TOUCH_EVERY:
            setattr(row, attr, now)
    return d


def _digest(body: dict[str, Any]) -> str:
    keys = ("alarm_type", "value", "observed_at", "lon", "lat", "message")
    return hashlib.sha256(json.dumps({k: body.get(k) for k in keys}, sort_keys=True, default=str,
                                     ensure_ascii=False).encode()).hexdigest()


def _value_text(value: float | None, unit: str | None) -> str:
    if value is None:
        return ""
    return f"，读数 {value:g}{unit or ''}"


def _local(at: datetime) -> str:
    from zoneinfo import ZoneInfo

    return f"{at.astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M:%S}"


def _description(d: SensorDevice, body: dict[str, Any]) -> str:
    label = ALARM_LABELS.get(body["alarm_type"], body["alarm_type"])
    text = (f"{TYPES.get(d.type, (d.type,))[0]}「{d.name}」（{d.code}）报警：{label}"
            f"{_value_text(body.get('value'), body.get('unit'))}，时间 {_local(body['observed_at'])}")
    if body.get("message"):
        text += f"。设备信息：{body['message']}"
    return text


def alarm_out(d: SensorDevice, alarm_id: str, kind: str, event: Event | None, *, created: bool,
              noted: bool = False) -> dict[str, Any]:
    return {"device_code": d.code, "alarm_id": alarm_id, "kind": kind, "created": created, "noted": noted,
            "event": events.event_out(event) if event is not None else None}


def receive(db: Session, key: SensorKey, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """One message from a device. Returns ``(answer, new)``; ``new`` is False for a repeat."""
    d = authenticate(db, key, body["device_code"])
    if body.get("status", "alarm") == "cleared":
        return _clear(db, d, body)
    return _alarm(db, d, body)


def _alarm(db: Session, d: SensorDevice, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    at_device = body.get("lon") is None
    data = {
        "client_id": f"s{d.id}:{body['alarm_id']}",
        "external_id": body["alarm_id"],
        "item_code": d.item_code,
        "title": f"{d.name}：{ALARM_LABELS.get(body['alarm_type'], body['alarm_type'])}"[:120],
        "description": _description(d, body),
        "lon": d.lon if at_device else body["lon"],
        "lat": d.lat if at_device else body["lat"],
        "crs": "wgs84" if at_device else body.get("crs") or "wgs84",
        "address": d.address,
        "note": f"物联设备 {d.code} 报警 {body['alarm_id']}",
    }
    e, created = events.report(db, None, data, channel=CHANNEL, reporter={"name": d.name[:60]})
    if created:
        if d.department_id is not None:
            e.lead_department_id = d.department_id
        db.add(SensorAlarm(device_id=d.id, alarm_id=body["alarm_id"], kind="alarm",
                           alarm_type=body["alarm_type"], value=body.get("value"), observed_at=body["observed_at"],
                           digest=_digest(body), event_id=e.id, received_at=utcnow()))
        db.flush()
    return alarm_out(d, body["alarm_id"], "alarm", e, created=created), created


def _open_event_for(db: Session, d: SensorDevice, body: dict[str, Any]) -> Event | None:
    """The event a clearance belongs to: its alarm id's, else the device's latest open event of
    the same alarm type."""
    event_id = db.scalar(select(SensorAlarm.event_id).where(
        SensorAlarm.device_id == d.id, SensorAlarm.alarm_id == body["alarm_id"], SensorAlarm.kind == "alarm"))
    if event_id is None:
        event_id = db.scalar(
            select(SensorAlarm.event_id).join(Event, Event.id == SensorAlarm.event_id)
            .where(SensorAlarm.device_id == d.id, SensorAlarm.kind == "alarm",
                   SensorAlarm.alarm_type == body["alarm_type"], Event.state.not_in([s.value for s in FINAL]))
            .order_by(SensorAlarm.id.desc()).limit(1))
    return db.get(Event, event_id) if event_id is not None else None


def _replayed_clear(db: Session, d: SensorDevice, body: dict[str, Any]) -> tuple[dict[str, Any], bool] | None:
    row = db.scalar(select(SensorAlarm).where(SensorAlarm.device_id == d.id, SensorAlarm.alarm_id == body["alarm_id"],
                                              SensorAlarm.kind == "cleared"))
    if row is None:
        return None
    if row.digest != _digest(body):
        raise Conflict("该报警编号的恢复消息已收到且内容不同", code="idempotency_key_reused",
                       details={"alarm_id": body["alarm_id"]})
    e = db.get(Event, row.event_id) if row.event_id is not None else None
    return alarm_out(d, row.alarm_id, "cleared", e, created=False, noted=row.noted), False


def _clear(db: Session, d: SensorDevice, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    found = _replayed_clear(db, d, body)
    if found is not None:
        return found
    e = _open_event_for(db, d, body)
    noted = e is not None and State(e.state) not in FINAL
    row = SensorAlarm(device_id=d.id, alarm_id=body["alarm_id"], kind="cleared", alarm_type=body["alarm_type"],
                      value=body.get("value"), observed_at=body["observed_at"], digest=_digest(body),
                      event_id=e.id if e is not None else None, noted=noted, received_at=utcnow())
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:  # the same clearance, sent twice at once: the other one won
        found = _replayed_clear(db, d, body)
        if found is not None:
            return found
        raise
    if noted:
        label = ALARM_LABELS.get(body["alarm_type"], body["alarm_type"])
        note = (f"设备 {d.code} 报告已恢复正常（{label}解除{_value_text(body.get('value'), body.get('unit'))}，"
                f"时间 {_local(body['observed_at'])}）")
        events.add_note(db, None, e, note, {"sensor": {"device_code": d.code, "alarm_id": body["alarm_id"],
                                                       "kind": "cleared"}}, actor_name=d.name)
        db.flush()
    return alarm_out(d, body["alarm_id"], "cleared", e, created=True, noted=noted), True
