"""The durable mail outbox: one row per email, written in the caller's transaction.

States (after pretix's OutgoingMail): queued -> sending (leased by a worker) -> sent,
or back to queued with a later due time (transient failure), or failed (permanent, or
out of attempts), or skipped (its reason went away before it was sent, e.g. a
confirmation for someone who already cancelled). An expired lease returns the row to queued.
A sent email whose delivery report later says it could never be delivered (a hard bounce,
mail/bounces.py) becomes bounced.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.registration import Registration
from eventsapp.models.types import UTCDateTime, one_of
from eventsapp.models.webinar import Webinar


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"
    BOUNCED = "bounced"


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    __tablename__ = "outbox"
    __table_args__ = (
        one_of("status", OutboxStatus),
        # The worker's claim query: due rows in order.
        Index("ix_outbox_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "confirmation:reg42:v1" (mail/outbox.py builds it): queueing it twice is a no-op.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # an EmailKind (mail/outbox.py)
    # Personal (models/personal.py): erased on request and after the retention period.
    recipient: Mapped[str] = mapped_column(String(320), info={"personal": True})
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    webinar_id: Mapped[int | None] = mapped_column(
        ForeignKey("webinars.id", ondelete="SET NULL"), index=True
    )
    # What the template needs beyond the current registration and webinar (e.g. what changed).
    context: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.QUEUED)
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
