"""The reverse evaluation (反向评价): grid workers and the centre score how a department handled a case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.db import Base, UTCDateTime, utcnow


class DepartmentReview(Base):
    """One reviewer's scores (1-5) for the department that handled one closed event."""

    __tablename__ = "department_reviews"
    __table_args__ = (
        UniqueConstraint("event_id", "reviewer_user_id", name="uq_department_reviews_event_reviewer"),
        Index("ix_department_reviews_department", "department_id", "created_at"),
        CheckConstraint("routing_score BETWEEN 1 AND 5", name="routing"),
        CheckConstraint("handling_score BETWEEN 1 AND 5", name="handling"),
        CheckConstraint("effect_score BETWEEN 1 AND 5", name="effect"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    reviewer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    routing_score: Mapped[int] = mapped_column(Integer)  # 分流: was it sent to the right department
    handling_score: Mapped[int] = mapped_column(Integer)  # 办理: attitude, speed, cooperation
    effect_score: Mapped[int] = mapped_column(Integer)  # 效果: is the problem really solved
    comment: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
