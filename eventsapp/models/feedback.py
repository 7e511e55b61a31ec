"""Registrants' feedback on a webinar they attended (one response each, editable)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.registration import Registration
from eventsapp.models.types import UTCDateTime


class FeedbackResponse(db.Model):  # type: ignore[name-defined]
    __tablename__ = "feedback_responses"
    __table_args__ = (
        CheckConstraint("overall BETWEEN 1 AND 5", name="overall"),
        CheckConstraint("usefulness BETWEEN 1 AND 5", name="usefulness"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    overall: Mapped[int] = mapped_column(Integer)
    usefulness: Mapped[int] = mapped_column(Integer)  # for managing their pain
    would_recommend: Mapped[bool] = mapped_column(Boolean)
    # Free text may name or describe the person; the scores stay for the averages.
    comments: Mapped[str] = mapped_column(Text, default="", info={"personal": True})
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship()
