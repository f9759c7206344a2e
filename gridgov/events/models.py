"""Tables of the events domain: the catalog (versioned), the responsibility list, events with their
append-only log, assignments to departments, attachments, the in-app inbox and the clock's lease.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, SearchText, UTCDateTime, utcnow
from gridgov.places.models import Located


class CatalogVersion(Base):
    """One edition of the catalog. Editing makes a new version; an event keeps the one it was filed under."""

    __tablename__ = "catalog_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    note: Mapped[str | None] = mapped_column(String(200))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CatalogCategory(Base):
    __tablename__ = "catalog_categories"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(60))
    sort: Mapped[int] = mapped_column(Integer, default=0)


class CatalogItem(Base):
    """事项: what can be reported, how serious by default, who handles it, how long each step may take."""

    __tablename__ = "catalog_items"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    category_code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(12))
    department_code: Mapped[str | None] = mapped_column(String(32))  # default lead department (suffix)
    self_resolvable: Mapped[bool] = mapped_column(Boolean, default=False)
    keywords: Mapped[str | None] = mapped_column(String(300))
    limits: Mapped[dict[str, Any]] = mapped_column(JSON)  # {severity: {step: working hours}}
    # 对公众开放: residents (随手拍, Open311) may see and file it; staff channels use every item
    public: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))


class ResponsibilityRule(Base):
    """权责清单 row: (item or whole category, region subtree) → lead and assisting departments."""

    __tablename__ = "responsibility_rules"
    __table_args__ = (Index("ix_resp_item_region", "item_code", "region_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_code: Mapped[str | None] = mapped_column(String(16))
    category_code: Mapped[str | None] = mapped_column(String(16))
    region_code: Mapped[str] = mapped_column(String(17))
    lead_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    assist_department_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Event(Located, Base):
    """事件: one reported problem, from any channel, followed until it is closed and rated."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("channel", "client_id", name="uq_events_channel_client"),
        # a state's events in a region; with the id, a window of the newest ids is checked inside the
        # index (a grid worker's 已结案 at 10M events: 150-640 ms -> ~10 ms, gridgov.events.text_search)
        Index("ix_events_state_region_id", "state", "region_code", "id"),
        Index("ix_events_region_created", "region_code", "created_at"),
        Index("ix_events_due", "due_at"),
        Index("ix_events_lead", "lead_department_id", "state"),
        Index("ix_events_created", "created_at"),
        Index("ix_events_merged_into", "merged_into_id"),
        # the flagged few, newest first: the overdue and due-soon queues and their badges at millions
        # of events (benchmarks/bench_events_scale.py); an item's events newest first (search by item)
        Index("ix_events_overdue_id", "id", postgresql_where=text("overdue IS TRUE"),
              sqlite_where=text("overdue IS TRUE")),
        Index("ix_events_due_soon_id", "id", postgresql_where=text("warned IS TRUE AND overdue IS FALSE"),
              sqlite_where=text("warned IS TRUE AND overdue IS FALSE")),
        Index("ix_events_item_id", "item_code", "id"),
        # a state's events newest first (the centre's 待受理/待派遣 at millions: walk back from the newest
        # instead of sorting every open event); one's own reports newest first (the 我上报的 queue)
        Index("ix_events_state_id", "state", "id"),
        Index("ix_events_reporter_id", "reporter_user_id", "id"),
        # a grid worker's queue: (state in the grid) OR (state AND reported by them) — without it the
        # second half read every report of theirs to check its state (11,000 rows at the benchmark's density)
        Index("ix_events_state_reporter", "state", "reporter_user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    channel: Mapped[str] = mapped_column(String(12))  # grid | resident | hotline | open311 | sensor | centre
    client_id: Mapped[str | None] = mapped_column(String(64))  # idempotency key chosen by the client
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)  # e.g. the 12345 order number
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    catalog_version_id: Mapped[int] = mapped_column(ForeignKey("catalog_versions.id"))
    item_code: Mapped[str] = mapped_column(String(16), index=True)
    category_code: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(SearchText(17))  # the grid if located, else the deepest known region
    state: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer, default=0)  # escalations so far (0 = the home centre)
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    reporter_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reporter_name: Mapped[str | None] = mapped_column(String(60))
    reporter_phone: Mapped[str | None] = mapped_column(String(20))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    is_dispute: Mapped[bool] = mapped_column(Boolean, default=False)
    # clocks
    step_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # deadline of the current step
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)  # the current step ran past its limit
    ever_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    handle_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the disposal deadline (按期处置)
    extension_pending_hours: Mapped[float | None] = mapped_column(Float)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    # milestones
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_on_time: Mapped[bool | None] = mapped_column(Boolean)
    self_resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    # evaluation
    rating: Mapped[str | None] = mapped_column(String(12))  # satisfied | basic | unsatisfied
    rating_comment: Mapped[str | None] = mapped_column(String(500))
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}


class EventLog(Base):
    """One row per action, append-only; ``audit_seq`` is the audit-chain entry written with it."""

    __tablename__ = "event_logs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(100))
    party: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    audit_seq: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(Base):
    """A department's part in an event: the lead, an assisting department, or one summoned by a whistle."""

    __tablename__ = "event_assignments"
    __table_args__ = (UniqueConstraint("event_id", "department_id"),
                      Index("ix_assign_dept_status", "department_id", "status"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    kind: Mapped[str] = mapped_column(String(12))  # lead | assist | whistle
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | signed | checked_in | returned
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # sign / check-in deadline
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attachment(Base):
    __tablename__ = "event_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"), index=True)
    log_id: Mapped[int | None] = mapped_column(ForeignKey("event_logs.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(300))  # relative to settings.attachments_dir
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(Base):
    """The in-app inbox: dispatched to you, urged, overdue, returned, ..."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JobLease(Base):
    """Who runs a background job right now; a lease that expires lets another worker take over."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(80))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notice(Base):
    """一键通: a notice from the centre to grid workers (a region's, or named ones), with receipts."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    region_code: Mapped[str] = mapped_column(SearchText(17))  # sent to this subtree
    requires_reply: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NoticeReceipt(Base):
    """One recipient of a notice: when they read it and what they replied."""

    __tablename__ = "notice_receipts"
    __table_args__ = (UniqueConstraint("notice_id", "user_id"), Index("ix_receipts_user", "user_id", "read_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
