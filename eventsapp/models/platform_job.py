"""Calls to the video platforms (Zoom, Teams), queued in the transaction of the change that
needs them.

The same shape as the mail outbox (models/outbox.py): queued -> sending (leased by a worker)
-> done, or back to queued with a later due time (a transient failure, or Zoom asking us to
wait), or failed (permanent, or out of attempts; an organiser can queue it again), or
skipped (its reason went away first: a registrant added for someone who cancelled before the
call was made). The unique dedupe key makes one change one call.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.extensions import db
from eventsapp.models.types import UTCDateTime, one_of


class PlatformJobKind(StrEnum):
    ADD_REGISTRANT = "add_registrant"
    CANCEL_REGISTRANT = "cancel_registrant"
    MOVE_WEBINAR = "move_webinar"
    CANCEL_WEBINAR = "cancel_webinar"
    FETCH_ATTENDANCE = "fetch_attendance"
    # Zoom only: read the linked webinar back (GET), and create one for a webinar (POST).
    CHECK_WEBINAR = "check_webinar"
    CREATE_WEBINAR = "create_webinar"


class Platform(StrEnum):
    ZOOM = "zoom"
    TEAMS = "teams"


class PlatformJobStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class PlatformJob(db.Model):  # type: ignore[name-defined]
    __tablename__ = "platform_jobs"
    __table_args__ = (
        one_of("kind", PlatformJobKind),
        one_of("platform", Platform),
        one_of("status", PlatformJobStatus),
        # The worker's claim query: due rows in order.
        Index("ix_platform_jobs_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "zoom:add_registrant:reg42:v1:z8123" (platforms/jobs.py builds it): queueing it
    # twice is a no-op.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    # Which platform the call goes to (Teams: registrations and attendance only).
    platform: Mapped[str] = mapped_column(
        String(10), default=Platform.ZOOM, server_default=Platform.ZOOM.value
    )
    webinar_id: Mapped[int] = mapped_column(
        ForeignKey("webinars.id", ondelete="CASCADE"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    # The platform's webinar the call is about, as it was linked when the change was made
    # ("" for creating one).
    platform_webinar_id: Mapped[str] = mapped_column(String(200))
    # For cancelling a registrant: the platform's opaque id of them (Zoom registrant id,
    # Teams registration id), copied here because erasing the registration (in the same
    # transaction) clears its own copy. Cleared once settled.
    platform_registrant_id: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=PlatformJobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An HTTP status and the platform's error code, or an exception's type: never personal data.
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
