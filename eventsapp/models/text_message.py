"""Text-message (SMS) reminders: who asked for one, and the durable queue of texts.

`TextReminderOptIn` is a registrant's "Send me a text reminder" with their UK mobile number
(E.164), written with the registration (services/registration.register). The number is
personal (models/personal.py): erasing the registration deletes the whole row, and the
subject-access export shows it. `stopped_at` is set when they reply STOP (texts/inbound.py)
or the provider says they did (Twilio error 21610).

`TextMessage` is the outbox's twin for texts (the claiming rule is eventsapp/leases.py):
queued -> sending (leased) -> sent, or back to queued later (transient failure), or failed
(permanent, or out of attempts), or skipped (its reason went away: cancelled, erased,
stopped, the webinar moved or began). It holds no number and no body: both are read and
rendered when it is sent (texts/worker.py), so nothing personal sits in the queue.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.personal import DELETE_ROW
from eventsapp.models.registration import Registration
from eventsapp.models.types import UTCDateTime, one_of


class TextKind(StrEnum):
    REMINDER = "reminder"


class TextStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class TextReminderOptIn(db.Model):  # type: ignore[name-defined]
    __tablename__ = "text_reminder_opt_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    # E.164, e.g. "+447700900123". Erasing the person deletes the row (nothing is left to
    # text, and a row without its number would only mislead the counts).
    phone: Mapped[str] = mapped_column(
        String(20),
        index=True,
        info={"personal": True, "erased": DELETE_ROW, "exported_as": "mobile_number"},
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # They replied STOP (or the provider refused because they had): no more texts to them.
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # registration.text_reminder (declared here: registration.py is upstream), e.g. for the
    # confirmation email's "We will also text you".
    registration: Mapped[Registration] = relationship(
        backref=backref("text_reminder", uselist=False, passive_deletes=True)
    )


class TextMessage(db.Model):  # type: ignore[name-defined]
    __tablename__ = "text_messages"
    __table_args__ = (
        one_of("kind", TextKind),
        one_of("status", TextStatus),
        # The worker's claim query: due rows in order.
        Index("ix_text_messages_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "text:reminder:reg42:20261201T173000Z" (services/text_reminders.py): one text per
    # registration per due time, however many workers plan at once.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    webinar_id: Mapped[int | None] = mapped_column(
        ForeignKey("webinars.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20), default=TextKind.REMINDER)
    status: Mapped[str] = mapped_column(String(20), default=TextStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The provider's id of the message (Twilio's "SM…" SID), once it took it.
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    # An HTTP status and the provider's error code, or an exception's type: never the
    # number or the body.
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
