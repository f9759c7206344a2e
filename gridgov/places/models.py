"""Tables of the places domain: the standard address library, buildings, houses, and the change
rows that keep the history of every register record (人进户、户进房、房进楼、楼进格).

Every located row carries lon/lat (WGS84), an H3 cell (settings.h3_resolution), the code of the
basic grid it lies in (``grid_code``: what scope checks use) and the id of that grid's region
*version* (``grid_region_id``), so a record keeps the grid it had when it was made.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, SearchText, UTCDateTime, utcnow


class Located:
    """Columns shared by every located register row."""

    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    h3: Mapped[int | None] = mapped_column(BigInteger)
    grid_code: Mapped[str | None] = mapped_column(String(17), index=True)
    grid_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))


class StandardAddress(Located, Base):
    """标准地址: one entry per addressable thing (a building, a unit, a room) with its elements.

    ``text`` is the canonical text, ``addr_key`` its part from the road down (the key shared with
    buildings and houses); both are made by ``gridgov.places.matching.canonical``. Every row carries
    all its elements (a room repeats its building's), so a candidate is scored from its own row.
    """

    __tablename__ = "addresses"
    __table_args__ = (Index("ix_addresses_level_key", "level", "addr_key"),
                      Index("ix_addresses_level_poi", "level", "poi", "building_no"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str | None] = mapped_column(SearchText(17), index=True)  # scope: byte-order ranges
    code: Mapped[str] = mapped_column(String(32), unique=True)
    text: Mapped[str] = mapped_column(String(200))  # canonical text (looked up through addr_key)
    addr_key: Mapped[str | None] = mapped_column(SearchText(160))  # road/compound down
    level: Mapped[str] = mapped_column(String(12))  # building | unit | room
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"), index=True)
    province: Mapped[str | None] = mapped_column(String(20))
    city: Mapped[str | None] = mapped_column(String(20))
    district: Mapped[str | None] = mapped_column(String(20))
    town: Mapped[str | None] = mapped_column(String(30))
    community: Mapped[str | None] = mapped_column(String(30))
    community_code: Mapped[str | None] = mapped_column(String(12))
    road: Mapped[str | None] = mapped_column(String(40))
    road_no: Mapped[str | None] = mapped_column(String(20))
    poi: Mapped[str | None] = mapped_column(String(60))
    building_no: Mapped[str | None] = mapped_column(String(20))
    unit_no: Mapped[str | None] = mapped_column(String(10))
    floor_no: Mapped[str | None] = mapped_column(String(10))
    room_no: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AddressAlias(Base):
    """An alias or former name (别名/曾用名) of a road, compound (poi) or region name in the address
    library: matching rewrites a query's ``alias`` to ``name``. ``region_code``: where it applies
    (a county or community; None: everywhere)."""

    __tablename__ = "address_aliases"
    __table_args__ = (UniqueConstraint("field", "alias", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    field: Mapped[str] = mapped_column(String(12))  # road | poi | community | town | district | city | province
    alias: Mapped[str] = mapped_column(String(60), index=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(12), default="alias")  # alias | former
    region_code: Mapped[str | None] = mapped_column(String(17))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Building(Located, Base):
    __tablename__ = "buildings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str | None] = mapped_column(SearchText(17), index=True)  # scope: byte-order ranges
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    addr_key: Mapped[str | None] = mapped_column(SearchText(160), index=True)  # road/compound down
    use: Mapped[str] = mapped_column(String(16), default="residential")
    floors: Mapped[int | None] = mapped_column(Integer)
    units: Mapped[int | None] = mapped_column(Integer)
    built_year: Mapped[int | None] = mapped_column(Integer)
    declare_token: Mapped[str] = mapped_column(String(32), unique=True)  # public self-declaration URL
    row_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class House(Located, Base):
    __tablename__ = "houses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str | None] = mapped_column(SearchText(17), index=True)  # scope: byte-order ranges
    code: Mapped[str] = mapped_column(String(40), unique=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    address_id: Mapped[int | None] = mapped_column(ForeignKey("addresses.id"))
    address: Mapped[str | None] = mapped_column(String(200))
    # the address from the road/compound down (no region names): prefix searches use it
    addr_key: Mapped[str | None] = mapped_column(SearchText(160), index=True)
    unit_no: Mapped[str | None] = mapped_column(String(10))
    floor_no: Mapped[str | None] = mapped_column(String(10))
    room_no: Mapped[str | None] = mapped_column(String(20))
    use: Mapped[str] = mapped_column(String(16), default="residential")
    area_m2: Mapped[float | None] = mapped_column(Float)
    owner_person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    owner_name: Mapped[str | None] = mapped_column(String(60))
    is_rental: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="self_occupied")
    row_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RecordChange(Base):
    """History of register records: what changed, when, by whom (values, unlike the audit chain's
    digests, so it is scoped like the record itself)."""

    __tablename__ = "record_changes"
    __table_args__ = (Index("ix_record_changes_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))  # create | update | move | ...
    changes: Mapped[str] = mapped_column(Text)  # JSON {field: [before, after]}
    grid_code: Mapped[str | None] = mapped_column(String(17))
