"""A webinar: when it runs, how many seats it has, and who hosts it."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import JSON

from eventsapp.extensions import db
from eventsapp.models.communication_needs import ALL_NEEDS, CommunicationNeed
from eventsapp.models.organisation import Organisation
from eventsapp.models.review import Approval
from eventsapp.models.speaker import PanelMember
from eventsapp.models.types import UTCDateTime, one_of


class WebinarStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


webinar_hosts = Table(
    "webinar_hosts",
    db.metadata,
    Column("webinar_id", ForeignKey("webinars.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id"), primary_key=True),
)


_ALL_NEEDS_JSON = "[" + ", ".join(f'"{need}"' for need in ALL_NEEDS) + "]"


class Webinar(db.Model):  # type: ignore[name-defined]
    __tablename__ = "webinars"
    __table_args__ = (
        # Back-stop for the conditional UPDATE that takes a seat: never oversold.
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats"),
        CheckConstraint("capacity >= 0", name="capacity"),
        CheckConstraint("duration_minutes > 0 AND duration_minutes <= 1440", name="duration"),
        one_of("status", WebinarStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    # Each organiser-written field's optional Welsh twin, `<field>_cy` (locales.words):
    # empty shows the English on Welsh pages and in Welsh emails.
    title_cy: Mapped[str] = mapped_column(String(200), default="", server_default="")
    summary_cy: Mapped[str] = mapped_column(String(500), default="", server_default="")
    description_cy: Mapped[str] = mapped_column(Text, default="", server_default="")  # Markdown
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    capacity: Mapped[int] = mapped_column(Integer, default=100)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    waitlist_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    registration_open: Mapped[bool] = mapped_column(Boolean, default=True)
    registration_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=WebinarStatus.DRAFT)
    # The platform's URL (Zoom, Teams); never shown on public pages.
    join_url: Mapped[str | None] = mapped_column(String(1000))
    recording_url: Mapped[str | None] = mapped_column(String(1000))
    # Joining by phone, for people without data or a computer: the numbers (one per line,
    # "United Kingdom: 020 3481 5240"), the meeting ID and passcode. Shown to registrants
    # only (emails, invitations, the join page), never on public pages.
    dial_in_numbers: Mapped[str] = mapped_column(Text, default="", server_default="")
    dial_in_meeting_id: Mapped[str] = mapped_column(String(40), default="", server_default="")
    dial_in_passcode: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # The Zoom webinar this one runs as (digits): registrants, moves, cancellation and the
    # attendance report then go to Zoom through platform jobs (platforms/jobs.py).
    zoom_webinar_id: Mapped[str | None] = mapped_column(String(20))
    # What reading that Zoom webinar back said, in plain words for organisers ("Linked: …",
    # or what is wrong); None until checked, cleared whenever the ID changes.
    zoom_status: Mapped[str | None] = mapped_column(String(400))
    # Or the Teams webinar (Microsoft Graph virtual event id) it runs as: registrations and
    # the attendance report then go to Teams the same way. Never both.
    teams_webinar_id: Mapped[str | None] = mapped_column(String(200))
    # The join link sends people to the platform from this many minutes before the start.
    doors_open_minutes: Mapped[int] = mapped_column(Integer, default=15)
    # Attended means at least this many minutes in the session (or a check-in by hand).
    attendance_threshold_minutes: Mapped[int] = mapped_column(Integer, default=10)
    # Feedback can be given (and changed) until this many days after the end.
    feedback_open_days: Mapped[int] = mapped_column(Integer, default=30)
    # Minutes before the start at which reminders go out.
    reminder_offsets: Mapped[list[int]] = mapped_column(JSON, default=lambda: [1440, 60])
    # iCalendar SEQUENCE: +1 whenever start, end, join link or status changes.
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # +1 whenever anything its public page shows changes, but the seats taken
    # (models/public_content.py): rendered pages are kept per version.
    content_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The organisers' own paragraph in the confirmation, reminder and follow-up emails.
    email_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    email_note_cy: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Of people whose details were erased: {audience: [confirmed, attended]} ("" for did not
    # say), so the webinar's figures by audience outlive the details (services/privacy.py).
    erased_audiences: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    # Follow-ups wait until an organiser confirms the attendance is complete.
    attendance_final_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_ups_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The communication needs its registration form offers (models/communication_needs.py
    # values; all by default), and how many days before the start the organisers are
    # reminded to book captions or an interpreter when anyone asked
    # (services/communication_needs.py).
    needs_offered: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: list(ALL_NEEDS), server_default=_ALL_NEEDS_JSON
    )
    needs_booking_days: Mapped[int] = mapped_column(Integer, default=14, server_default="14")

    hosts: Mapped[list[Organisation]] = relationship(
        secondary=webinar_hosts, order_by=Organisation.id
    )
    approvals: Mapped[list[Approval]] = relationship(
        back_populates="webinar", cascade="all, delete-orphan", order_by=Approval.organisation_id
    )
    panel: Mapped[list[PanelMember]] = relationship(
        back_populates="webinar",
        order_by=(PanelMember.position, PanelMember.id),
        cascade="all, delete-orphan",
    )

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def doors_open_at(self) -> datetime:
        return self.starts_at - timedelta(minutes=self.doors_open_minutes)

    @property
    def feedback_closes_at(self) -> datetime:
        return self.ends_at + timedelta(days=self.feedback_open_days)

    @property
    def phone_numbers(self) -> list[str]:
        """The dial-in numbers, one a line; empty: no joining by phone."""
        return [line.strip() for line in self.dial_in_numbers.splitlines() if line.strip()]

    @property
    def offered_needs(self) -> list[CommunicationNeed]:
        return CommunicationNeed.parse(self.needs_offered)

    def __repr__(self) -> str:
        return f"<Webinar {self.slug}>"
