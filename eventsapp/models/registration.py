"""A person's registration for one webinar, with the consent they gave."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.communication_needs import CommunicationNeed
from eventsapp.models.organisation import Organisation
from eventsapp.models.personal import DELETE_ROW, erased_address
from eventsapp.models.types import UTCDateTime, one_of
from eventsapp.models.webinar import Webinar
from eventsapp.uktime import utcnow


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


# How organisers triage a registrant's question for the panel.
class QuestionStatus(StrEnum):
    NEW = "new"
    SELECTED = "selected"
    ANSWERED = "answered"
    HIDDEN = "hidden"


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
        one_of("status", RegistrationStatus),
        one_of("question_status", QuestionStatus),
        # The waiting list is read in order of joining.
        Index("ix_registrations_waitlist", "webinar_id", "status", "status_changed_at"),
        # The private API pages through changes in this order (updated_since, cursor).
        Index("ix_registrations_updated_at", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    # Personal (models/personal.py): erased on request and after the retention period.
    full_name: Mapped[str] = mapped_column(
        String(200), info={"personal": True, "exported_as": "name"}
    )
    email: Mapped[str] = mapped_column(
        String(320), info={"personal": True, "erased": erased_address}
    )
    email_normalised: Mapped[str] = mapped_column(
        String(320), info={"personal": True, "erased": erased_address}
    )
    audience: Mapped[str | None] = mapped_column(
        String(40), info={"personal": True, "exported_as": "i_am"}
    )
    question: Mapped[str] = mapped_column(Text, default="", info={"personal": True})
    question_status: Mapped[str] = mapped_column(String(20), default=QuestionStatus.NEW)
    access_needs: Mapped[str] = mapped_column(
        Text, default="", info={"personal": True, "exported_as": "accessibility_needs"}
    )
    # Communication needs chosen on the form (models/communication_needs.py), their values
    # joined by spaces: health-related, so personal and erased with the person.
    communication_needs: Mapped[str] = mapped_column(
        String(300), default="", server_default="", info={"personal": True}
    )
    # Set when a carer registered someone else ("Someone I care for"): the carer's name.
    # `full_name` stays the attendee's (certificates, attendance, Zoom and Teams use it) and
    # `email` is whoever gets the emails, the carer's or the attendee's. The consent given
    # then includes the carer's word that they have the person's permission.
    carer_name: Mapped[str | None] = mapped_column(String(200), info={"personal": True})
    # The language they registered in ("en" or "cy": the page's, eventsapp/locales.py): every
    # later email and text to them is in it (mail/render.py). Not personal: it stays on
    # erasure, like the status.
    language: Mapped[str] = mapped_column(String(2), default="en", server_default="en")
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
    # A delivery report said mail to this address can never arrive (a hard bounce, read by
    # mail/bounces.py): reminders, follow-ups and announcements stop. Organisers see it.
    email_bounced: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), info={"personal": True}
    )
    # Zoom's registrant id and their own Zoom joining URL (webinars linked to Zoom): the join
    # link sends them there. Never shown on a page or in an email.
    zoom_registrant_id: Mapped[str | None] = mapped_column(String(64), info={"personal": True})
    zoom_join_url: Mapped[str | None] = mapped_column(String(1000), info={"personal": True})
    # The same for Teams (webinars linked to a Teams webinar): Microsoft Graph's
    # virtualEventRegistration id and its joinWebUrl.
    teams_registration_id: Mapped[str | None] = mapped_column(String(200), info={"personal": True})
    teams_join_url: Mapped[str | None] = mapped_column(String(2000), info={"personal": True})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the personal details were removed (on request, or by the retention sweep);
    # the row stays, without them, so that counts for reports stay right.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # When anything about the registration last changed, by the server's clock: any UPDATE
    # of the row moves it (`onupdate` applies to the ORM and to Core update() alike: status,
    # details, erasure, joining clicks, bounces), and so does a change to its attendance
    # record (the listener below). Marketing choices change only with the row itself. The
    # private API's `updated_since` and cursors read it (docs/api.md).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

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

    @property
    def needs(self) -> list[CommunicationNeed]:
        return CommunicationNeed.parse(self.communication_needs)

    @property
    def email_style(self) -> str | None:
        """ "plain" (text-only emails), "large" (larger type), or None: from their needs."""
        styles = {need.effect.email_style for need in self.needs}
        return "plain" if "plain" in styles else "large" if "large" in styles else None


class MarketingConsent(db.Model):  # type: ignore[name-defined]
    """An opt-in to one organisation's news: each organisation is a separate controller."""

    __tablename__ = "marketing_consents"
    __table_args__ = (UniqueConstraint("registration_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    # Erasing deletes the whole choice (which organisation, when, under which notice).
    given: Mapped[bool] = mapped_column(
        Boolean, default=True, info={"personal": True, "erased": DELETE_ROW}
    )
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notice_version: Mapped[str] = mapped_column(String(40))

    registration: Mapped[Registration] = relationship(back_populates="marketing_consents")
    organisation: Mapped[Organisation] = relationship()


@event.listens_for(Session, "before_flush")
def _attendance_moves_its_registration(session: Session, _context: Any, _instances: Any) -> None:
    """An attendance record added, changed or removed (check-in, a platform's report) is a
    change to its registration as the API shows it (attended, minutes_attended)."""
    from eventsapp.models.attendance import Attendance  # attendance.py imports this module

    touched = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not isinstance(obj, Attendance):
            continue
        registration_id = obj.registration_id
        if registration_id is None and obj.__dict__.get("registration") is not None:
            registration_id = obj.registration.id
        if registration_id is not None:
            touched.add(registration_id)
    if touched:
        session.connection().execute(
            update(Registration.__table__)
            .where(Registration.__table__.c.id.in_(sorted(touched)))
            .values(updated_at=utcnow())
        )
