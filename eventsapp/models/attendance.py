"""Who attended, for how long, and from which source; and the reports imported."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.personal import ListOfPeople
from eventsapp.models.registration import Registration
from eventsapp.models.types import UTCDateTime, one_of
from eventsapp.models.webinar import Webinar


class AttendanceSource(StrEnum):
    MANUAL = "manual"  # a check-in by hand
    ZOOM = "zoom"
    TEAMS = "teams"


class Attendance(db.Model):  # type: ignore[name-defined]
    """One per registration that has any attendance record."""

    __tablename__ = "attendance"
    __table_args__ = (one_of("source", AttendanceSource),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    # Minutes in the session from a platform report; None for a check-in by hand.
    minutes: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # registration.attendance: the record, or None (declared here: registration.py is upstream).
    registration: Mapped[Registration] = relationship(
        backref=backref("attendance", uselist=False, passive_deletes=True)
    )


def attended(record: Attendance | None, webinar: Webinar) -> bool:
    """A check-in by hand counts; a report counts from the webinar's minimum minutes."""
    if record is None:
        return False
    if record.source == AttendanceSource.MANUAL:
        return True
    return (record.minutes or 0) >= webinar.attendance_threshold_minutes


class AttendanceImport(db.Model):  # type: ignore[name-defined]
    """A platform report imported for a webinar; the file's hash makes re-imports no-ops."""

    __tablename__ = "attendance_imports"
    __table_args__ = (UniqueConstraint("webinar_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(20))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    # Rows no registrant matched: [{"key", "name", "email", "minutes"}], for matching by hand.
    # Erasing a registrant drops the rows carrying their address.
    unmatched: Mapped[list] = mapped_column(
        JSON, default=list, info={"personal": True, "erased": ListOfPeople("email")}
    )
