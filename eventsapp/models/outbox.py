"""The durable mail outbox: one row per email, written in the caller's transaction.

States (after pretix's OutgoingMail): queued -> sending (leased by a worker) -> sent,
or back to queued with a later due time (transient failure), or failed (permanent, or
out of attempts), or skipped (its reason went away before it was sent, e.g. a
confirmation for someone who already cancelled). An expired lease returns the row to queued.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.registration import Registration
from eventsapp.models.types import UTCDateTime
from eventsapp.models.webinar import Webinar

OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "skipped")


# The columns an email queued by INSERT … SELECT gives, in this order (reminders are planned
# that way, and a registration on PostgreSQL queues its email in the same statement).
FROM_SELECT_COLUMNS = (
    "dedupe_key",
    "kind",
    "recipient",
    "registration_id",
    "webinar_id",
    "context",
    "status",
    "attempts",
    "due_at",
    "message_id",
    "created_at",
)


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint(f"status IN {OUTBOX_STATUSES!r}", name="status"),
        # The worker's claim query: due rows in order.
        Index("ix_outbox_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "confirmation:reg42:v1": enqueueing the same key twice is a no-op.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(320))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    webinar_id: Mapped[int | None] = mapped_column(
        ForeignKey("webinars.id", ondelete="SET NULL"), index=True
    )
    # What the template needs beyond the current registration and webinar (e.g. what changed).
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    registration: Mapped[Registration | None] = relationship()
    webinar: Mapped[Webinar | None] = relationship()
