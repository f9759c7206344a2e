"""Regions and grids, versioned.

One row per *version* of a region: re-importing a changed boundary closes the old row
(``valid_to``) and adds a new one, so anything recorded against a region version id keeps the
boundary it had when it was made (MapIt's generations, per row). The current version of a code
is the row with ``valid_to IS NULL`` (a partial unique index guarantees at most one).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime

LEVELS = ("province", "city", "county", "street", "community", "grid", "micro_grid", "exclusive_grid")

LEVEL_LABELS = {
    "province": "省",
    "city": "市",
    "county": "县/区",
    "street": "街道/乡镇",
    "community": "社区/村",
    "grid": "网格",
    "micro_grid": "微网格",
    "exclusive_grid": "专属网格",
}

EXCLUSIVE_TYPES = {
    "school": "学校",
    "hospital": "医院",
    "market": "市场/商场",
    "enterprise": "企业",
    "park": "园区/景区",
    "station": "交通场站",
    "government": "机关单位",
    "nursing_home": "养老机构",
    "other": "其他",
}


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        Index("uq_regions_current_code", "code", unique=True,
              sqlite_where=text("valid_to IS NULL"), postgresql_where=text("valid_to IS NULL")),
        Index("ix_regions_parent_current", "parent_code", "valid_to"),
        Index("ix_regions_level_bbox", "level", "min_lon", "max_lon"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(17))
    version: Mapped[int] = mapped_column(Integer, default=1)
    name: Mapped[str] = mapped_column(String(100), index=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(String(17))
    exclusive_type: Mapped[str | None] = mapped_column(String(32))
    geometry: Mapped[bytes | None] = mapped_column(LargeBinary)  # WKB, lon/lat WGS84
    geometry_digest: Mapped[str | None] = mapped_column(String(64))
    area_m2: Mapped[float | None] = mapped_column(Float)
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)  # a point inside the region (label point)
    lat: Mapped[float | None] = mapped_column(Float)
    h3: Mapped[int | None] = mapped_column(BigInteger)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def bbox(self) -> list[float] | None:
        if self.min_lon is None:
            return None
        return [self.min_lon, self.min_lat, self.max_lon, self.max_lat]
