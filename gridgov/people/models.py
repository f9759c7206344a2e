"""Tables of the people domain. Links carry valid_from/valid_to so moves keep their history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, SearchText, UTCDateTime, utcnow
from gridgov.places.models import Located


class Person(Located, Base):
    """实有人口. ``grid_code`` follows the residence (house → building → grid)."""

    __tablename__ = "persons"
    __table_args__ = (
        # ``id`` last: searches order by (key, id) and read the first rows of the index in order
        Index("ix_persons_name", "name", "id"),
        Index("ix_persons_pinyin", "name_pinyin", "id"),
        Index("ix_persons_initials", "name_initials", "id"),
        Index("ix_persons_phone", "phone"),
        Index("ix_persons_phone_tail", "phone_tail"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str | None] = mapped_column(SearchText(17), index=True)  # scope: byte-order ranges
    citizen_id: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(SearchText(60))
    name_pinyin: Mapped[str] = mapped_column(SearchText(120))
    name_initials: Mapped[str] = mapped_column(SearchText(20))
    sex: Mapped[str] = mapped_column(String(8))
    birth_date: Mapped[date] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(20))
    phone_tail: Mapped[str | None] = mapped_column(String(4))
    hukou_region_code: Mapped[str | None] = mapped_column(String(12))  # 户籍地
    hukou_address: Mapped[str | None] = mapped_column(String(200))
    residence_address: Mapped[str | None] = mapped_column(String(200))  # 居住地
    house_id: Mapped[int | None] = mapped_column(ForeignKey("houses.id"), index=True)
    population_type: Mapped[str] = mapped_column(String(12), default="registered")  # registered|floating|overseas
    moved_in_on: Mapped[date | None] = mapped_column(Date)
    moved_out_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active|moved_out|deceased
    row_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Household(Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # 户号
    kind: Mapped[str] = mapped_column(String(12), default="actual")  # registered 户籍户 | actual 实有户
    house_id: Mapped[int | None] = mapped_column(ForeignKey("houses.id"), index=True)
    head_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    grid_code: Mapped[str | None] = mapped_column(SearchText(17), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HouseholdMember(Base):
    __tablename__ = "household_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    relation: Mapped[str] = mapped_column(String(12))  # head spouse child parent grandchild other tenant
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Residence(Base):
    """Person ↔ house over time (人进房): every move closes one row and opens another."""

    __tablename__ = "residences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))  # owner family tenant other
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16), default="manual")  # manual import declaration demo


class Organization(Located, Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_code: Mapped[str | None] = mapped_column(SearchText(17), index=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    org_type: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(200))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    legal_rep_name: Mapped[str | None] = mapped_column(String(60))
    legal_rep_citizen_id: Mapped[str | None] = mapped_column(String(18))
    legal_rep_phone: Mapped[str | None] = mapped_column(String(20))
    contact_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    employees: Mapped[int | None] = mapped_column(Integer)
    row_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SpecialGroupMember(Base):
    """A person's membership of a special group (特殊人群), with its own attributes (JSON),
    the visit interval it requires and the responsible grid worker."""

    __tablename__ = "special_group_members"
    __table_args__ = (Index("ix_sgm_due", "responsible_user_id", "next_visit_due"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    group: Mapped[str] = mapped_column(String(24), index=True)
    attributes: Mapped[str] = mapped_column(Text, default="{}")
    risk_level: Mapped[str] = mapped_column(String(8), default="low")  # low medium high
    visit_interval_days: Mapped[int] = mapped_column(Integer)
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    grid_code: Mapped[str | None] = mapped_column(SearchText(17), index=True)
    last_visit_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_visit_due: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Visit(Base):
    """走访: a grid worker's visit to a person (often a special-group member) or a household."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("special_group_members.id"), index=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    method: Mapped[str] = mapped_column(String(12))  # home phone video other
    content: Mapped[str] = mapped_column(Text)
    findings: Mapped[str | None] = mapped_column(Text)
    grid_code: Mapped[str | None] = mapped_column(SearchText(17), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Declaration(Base):
    """自主申报: a resident's or landlord's declaration through a building's public form."""

    __tablename__ = "declarations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # residence | tenants
    declarer_name: Mapped[str] = mapped_column(String(60))
    declarer_phone: Mapped[str] = mapped_column(String(20))
    payload: Mapped[str] = mapped_column(Text)  # JSON: room, people [{name, citizen_id, phone, relation}], dates
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending approved rejected
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    grid_code: Mapped[str | None] = mapped_column(SearchText(17), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
