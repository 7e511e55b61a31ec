"""An organiser's message to some of a webinar's registrants, sent through the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.extensions import db
from eventsapp.models.types import Labelled, UTCDateTime, one_of


class Audience(Labelled):
    """Who an announcement is for; the label finishes "Send to …"."""

    EVERYONE = "everyone", "everyone with a place or on the waiting list"
    CONFIRMED = "confirmed", "everyone with a place"
    WAITLISTED = "waitlisted", "everyone on the waiting list"
    ATTENDED = "attended", "everyone who attended"
    NOT_ATTENDED = "not_attended", "everyone with a place who did not attend"

    @property
    def about_attendance(self) -> bool:
        """Chosen by who attended: it means something only once the webinar has ended."""
        return self in (Audience.ATTENDED, Audience.NOT_ATTENDED)


class Announcement(db.Model):  # type: ignore[name-defined]
    __tablename__ = "announcements"
    __table_args__ = (one_of("audience", Audience),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    audience: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)  # Markdown, rendered safely
    # The optional Welsh version (locales.words), both or neither: a Welsh registrant gets a
    # Welsh email with it; without it, the English email as everyone else.
    subject_cy: Mapped[str] = mapped_column(String(200), default="", server_default="")
    body_cy: Mapped[str] = mapped_column(Text, default="", server_default="")  # Markdown
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # None while it is a draft being previewed; set once, when it is sent.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def has_welsh(self) -> bool:
        """Whether organisers wrote a Welsh version (the form takes both parts or neither)."""
        return bool((self.subject_cy or "").strip() and (self.body_cy or "").strip())
