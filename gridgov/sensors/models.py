"""Tables of the sensor channel: keys (one device's, or an integration's shared by its devices),
the registered devices, and every alarm and clearance received (the idempotency record)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime, utcnow
from gridgov.places.models import Located


class SensorKey(Base):
    """A key that devices send in ``X-Sensor-Key``. Only its SHA-256 is kept (the key is shown once);
    ``kind`` is ``device`` (one device's own key) or ``integration`` (an IoT platform's, shared by
    the devices attached to it)."""

    __tablename__ = "sensor_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(12))  # device | integration
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SensorDevice(Located, Base):
    """A registered device: where it is (located to its grid when registered), what an alarm of it
    files as (a catalog item), which department owns it, and the key it authenticates with."""

    __tablename__ = "sensor_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(24))  # smoke | manhole_tilt | water_level | gas | hydrant_pressure | other
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(17), index=True)  # the grid it was located to
    item_code: Mapped[str] = mapped_column(String(16))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    key_id: Mapped[int] = mapped_column(ForeignKey("sensor_keys.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SensorAlarm(Base):
    """One message from a device: an alarm (which filed ``event_id``) or a clearance (which added a
    note to ``event_id``, if an event was still open). Unique by (device, alarm id, kind), so a
    device repeating a message gets the first answer; ``digest`` tells a repeat from a reuse."""

    __tablename__ = "sensor_alarms"
    __table_args__ = (
        UniqueConstraint("device_id", "alarm_id", "kind", name="uq_sensor_alarms_device_alarm_kind"),
        Index("ix_sensor_alarms_event", "event_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("sensor_devices.id"))
    alarm_id: Mapped[str] = mapped_column(String(48))
    kind: Mapped[str] = mapped_column(String(8))  # alarm | cleared
    alarm_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    digest: Mapped[str] = mapped_column(String(64))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    noted: Mapped[bool] = mapped_column(Boolean, default=False)  # a clearance that added its note
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
