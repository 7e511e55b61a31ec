"""Webhooks: each organisation's endpoints, the events its webinars raise, and their delivery.

An event is written in the transaction of the change (services/webhook_events.py: one small
row, nothing personal); the worker fans each out to the endpoints of the webinar's host
organisations that chose its type, and delivers those as a durable queue shaped like the
outbox (eventsapp/leases.py). The body is built from the data as it is when sent, so
details erased before delivery never leave, and nothing personal is stored here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.organisation import Organisation
from eventsapp.models.types import Labelled, UTCDateTime, one_of


class WebhookEventType(Labelled):
    """The events an endpoint may choose, with what organisers read about each."""

    REGISTRATION_CREATED = (
        "registration.created",
        "Someone registered (a place or the waiting list)",
    )
    REGISTRATION_CANCELLED = "registration.cancelled", "Someone cancelled, or was cancelled"
    REGISTRATION_PROMOTED = "registration.promoted", "Someone got a place from the waiting list"
    ATTENDANCE_RECORDED = "attendance.recorded", "Attendance was recorded for someone"
    WEBINAR_PUBLISHED = "webinar.published", "A webinar was published"
    WEBINAR_CHANGED = "webinar.changed", "A published webinar changed (time, title, panel…)"
    WEBINAR_CANCELLED = "webinar.cancelled", "A webinar was cancelled"
    # Sent by the "Send a test event" button only; never chosen.
    TEST = "webhook.test", "A test event"

    @classmethod
    def choosable(cls) -> list[WebhookEventType]:
        return [member for member in cls if member is not cls.TEST]

    @property
    def about_registration(self) -> bool:
        return self.value.startswith(("registration.", "attendance."))


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    DELIVERED = "delivered"
    # Out of attempts (about a day): the endpoint is paused; "Send again" queues it anew.
    FAILED = "failed"


class WebhookEndpoint(db.Model):  # type: ignore[name-defined]
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    # WebhookEventType values it receives.
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "whsec_" + base64 of 32 random bytes (Standard Webhooks). Kept: every delivery is
    # signed with it. Shown to the organisation once, when made.
    secret: Mapped[str] = mapped_column(String(100))
    # Questions, access needs and health answers go in registration events only if set.
    include_health: Mapped[bool] = mapped_column(Boolean, default=False)
    # Paused (by hand, or after a delivery failed for a day): deliveries wait, undelivered.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()

    @property
    def event_types(self) -> list[WebhookEventType]:
        return [WebhookEventType(value) for value in self.events]


class WebhookEvent(db.Model):  # type: ignore[name-defined]
    """Something that happened, waiting to be fanned out to endpoints (then deleted)."""

    __tablename__ = "webhook_events"
    __table_args__ = (one_of("type", WebhookEventType),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE")
    )
    # What changed (webinar.changed: names of what changed), never personal data.
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(db.Model):  # type: ignore[name-defined]
    """One event to one endpoint: a queue row (eventsapp/leases.py)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        one_of("type", WebhookEventType),
        one_of("status", DeliveryStatus),
        Index("ix_webhook_deliveries_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    # The webhook-id header: the same on every attempt, so receivers can drop repeats.
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    webinar_id: Mapped[int | None] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE")
    )
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    endpoint: Mapped[WebhookEndpoint] = relationship()
    attempt_log: Mapped[list[WebhookAttempt]] = relationship(
        order_by="WebhookAttempt.id", passive_deletes=True
    )


class WebhookAttempt(db.Model):  # type: ignore[name-defined]
    """Each try, as the organisation sees it: when, the HTTP status, or why it failed."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    # Why it failed, in words ("timed out", "refused: a private address"); never the body.
    error: Mapped[str] = mapped_column(String(200), default="")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
