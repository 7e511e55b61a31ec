"""A record that reminders for one (webinar, offset, due time) have been planned.

Planning adds one outbox row per confirmed registrant. Registrants confirmed after the due
time are not reminded (their confirmation came later), so each plan runs once; this row
makes the sweep cheap and idempotent across workers (the unique key decides who plans).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.extensions import db
from eventsapp.models.types import UTCDateTime


class ReminderPlan(db.Model):  # type: ignore[name-defined]
    __tablename__ = "reminder_plans"
    __table_args__ = (UniqueConstraint("webinar_id", "offset_minutes", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    offset_minutes: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminders: Mapped[int] = mapped_column(Integer, default=0)
