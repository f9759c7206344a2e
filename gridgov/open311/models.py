"""Tables of the Open311 endpoint: the API keys of client apps, and what an Open311 request
brought beyond the event itself (the key that filed it, its media URL and standard address id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime, utcnow


class ApiKey(Base):
    """A client app's key for POST requests. Only the SHA-256 of the key is kept (the key itself is
    shown once, when it is made); ``prefix`` (its first characters) tells keys apart in listings."""

    __tablename__ = "open311_api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(100))
    contact: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Open311Request(Base):
    """One event filed through Open311: which key filed it, and the spec's fields our events lack."""

    __tablename__ = "open311_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("open311_api_keys.id"), index=True)
    media_url: Mapped[str | None] = mapped_column(String(500))
    address_id: Mapped[str | None] = mapped_column(String(32))  # a standard address code (A…)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
