"""Tables of the disputes domain. A dispute is one event (``is_dispute``) seen with its parties,
mediation sessions, agreements, referrals and follow-up visits; the event keeps the workflow."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, SearchText, UTCDateTime, utcnow


class Dispute(Base):
    """矛盾纠纷: the dispute facts of an event, its three-colour rating and how it ended."""

    __tablename__ = "disputes"
    __table_args__ = (
        Index("ix_disputes_region_created", "region_code", "created_at"),
        Index("ix_disputes_month_region", "registered_month", "region_code"),
        Index("ix_disputes_colour_status", "colour", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), unique=True)
    type: Mapped[str] = mapped_column(String(16))  # colour.DisputeType
    colour: Mapped[str] = mapped_column(String(8))  # green | yellow | red
    colour_reason: Mapped[str] = mapped_column(String(500))
    manual_colour: Mapped[str | None] = mapped_column(String(8))  # staff judgement (only raises)
    repeat_count: Mapped[int] = mapped_column(Integer, default=0)  # earlier disputes, same parties, in window
    threat: Mapped[bool] = mapped_column(Boolean, default=False)
    people_involved: Mapped[int] = mapped_column(Integer, default=2)
    relapsed: Mapped[bool] = mapped_column(Boolean, default=False)  # unstable at a follow-up after resolution
    status: Mapped[str] = mapped_column(String(12))  # registered | mediating | resolved | referred | failed
    resolution: Mapped[str | None] = mapped_column(String(12))  # mediation | agreement | referral
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    region_code: Mapped[str] = mapped_column(SearchText(17))  # copied from the event: scope and statistics
    registered_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM in local time: period statistics
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class DisputeParty(Base):
    """当事人: a person or organization of the register, or a free-text party.

    ``party_key`` identifies the same party across disputes: ``P<person id>``, ``O<organization
    id>``, or ``N`` + a digest of the normalised name and phone for free-text parties.
    """

    __tablename__ = "dispute_parties"
    __table_args__ = (
        UniqueConstraint("dispute_id", "party_key"),  # also the index by dispute
        Index("ix_dispute_parties_key", "party_key", "dispute_id"),  # repeats: disputes of a party
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"))
    kind: Mapped[str] = mapped_column(String(12))  # person | organization | free
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))  # free text, or a copy of the register's name
    phone: Mapped[str | None] = mapped_column(String(20))  # free-text parties only
    role: Mapped[str] = mapped_column(String(12))  # applicant | respondent | other
    party_key: Mapped[str] = mapped_column(String(40))


class MediationSession(Base):
    """调解: one mediation meeting and its result."""

    __tablename__ = "mediation_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    mediator_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    mediator_name: Mapped[str] = mapped_column(String(100))
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(12))  # success | partial | failed | continued
    notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Agreement(Base):
    """调解协议: what the parties agreed, and whether it has been carried out (履行)."""

    __tablename__ = "dispute_agreements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    signed_on: Mapped[date] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)
    performed: Mapped[bool] = mapped_column(Boolean, default=False)
    performed_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Referral(Base):
    """移交: the dispute handed to a mediation committee, justice office, police station or court."""

    __tablename__ = "dispute_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    to_kind: Mapped[str] = mapped_column(String(24))  # service.REFERRAL_KINDS
    to_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    to_name: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    result: Mapped[str] = mapped_column(String(12), default="pending")  # pending | resolved | unresolved
    result_note: Mapped[str | None] = mapped_column(Text)
    result_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FollowUp(Base):
    """回访: a visit after mediation; ``stable`` false on a resolved dispute means it flared up again."""

    __tablename__ = "dispute_follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(Text)
    stable: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
