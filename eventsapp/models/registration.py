"""A person's registration for one webinar, with the consent they gave."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.organisation import Organisation
from eventsapp.models.types import UTCDateTime
from eventsapp.models.webinar import Webinar

REGISTRATION_STATUSES = ("confirmed", "waitlisted", "cancelled")
# How organisers triage a registrant's question for the panel.
QUESTION_STATUSES = ("new", "selected", "answered", "hidden")
AUDIENCES = {
    "living_with_pain": "Living with back or neck pain",
    "carer": "Carer or family member",
    "healthcare_professional": "Healthcare professional",
    "other": "Other",
}


class Registration(db.Model):  # type: ignore[name-defined]
    __tablename__ = "registrations"
    __table_args__ = (
        # One registration per person per webinar, whatever the case or spacing of the address.
        UniqueConstraint("webinar_id", "email_normalised"),
        CheckConstraint(f"status IN {REGISTRATION_STATUSES!r}", name="status"),
        CheckConstraint(f"question_status IN {QUESTION_STATUSES!r}", name="question_status"),
        # The waiting list is read in order of joining.
        Index("ix_registrations_waitlist", "webinar_id", "status", "status_changed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    email_normalised: Mapped[str] = mapped_column(String(320))
    audience: Mapped[str | None] = mapped_column(String(40))
    question: Mapped[str] = mapped_column(Text, default="")
    question_status: Mapped[str] = mapped_column(String(20), default="new")
    access_needs: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20))
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # +1 on every status change: part of the outbox dedupe key for status emails.
    version: Mapped[int] = mapped_column(Integer, default=0)
    # Added to the webinar's SEQUENCE in this person's invites: bumped when their own
    # copy is cancelled or re-issued, so a later REQUEST is never older than a CANCEL.
    ical_sequence_offset: Mapped[int] = mapped_column(Integer, default=0)
    # Article 9 explicit consent, with the privacy-notice version it was given against.
    consent_given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consent_notice_version: Mapped[str] = mapped_column(String(40))
    # Manage link: the token is derived from SECRET_KEY and this salt; only its hash is
    # stored. A new salt revokes the old link.
    token_salt: Mapped[str] = mapped_column(String(64))
    manage_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Join link: its own salt, so it still answers ("your registration was cancelled")
    # after the manage link is revoked.
    join_salt: Mapped[str | None] = mapped_column(String(64))
    join_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    joined_first_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    joined_last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    join_clicks: Mapped[int] = mapped_column(Integer, default=0)
    # One-click unsubscribe from this webinar's reminders (RFC 8058).
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the personal details were removed (on request, or by the retention sweep);
    # the row stays, without them, so that counts for reports stay right.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    webinar: Mapped[Webinar] = relationship()
    marketing_consents: Mapped[list[MarketingConsent]] = relationship(
        back_populates="registration", cascade="all, delete-orphan"
    )

    @property
    def ical_sequence(self) -> int:
        return self.webinar.sequence + self.ical_sequence_offset

    @property
    def audience_label(self) -> str | None:
        return AUDIENCES.get(self.audience or "")


class MarketingConsent(db.Model):  # type: ignore[name-defined]
    """An opt-in to one organisation's news: each organisation is a separate controller."""

    __tablename__ = "marketing_consents"
    __table_args__ = (UniqueConstraint("registration_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    given: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notice_version: Mapped[str] = mapped_column(String(40))

    registration: Mapped[Registration] = relationship(back_populates="marketing_consents")
    organisation: Mapped[Organisation] = relationship()
