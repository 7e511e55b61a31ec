"""Certificates of attendance, with a number anyone can verify."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.personal import DELETE_ROW
from eventsapp.models.registration import Registration
from eventsapp.models.types import UTCDateTime


class Certificate(db.Model):  # type: ignore[name-defined]
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    # Random, not sequential: the verification page shows a name, so numbers must not be
    # guessable one after another. Erasing deletes the certificate, so that its number no
    # longer verifies anyone.
    number: Mapped[str] = mapped_column(
        String(32), unique=True, info={"personal": True, "erased": DELETE_ROW}
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)

    registration: Mapped[Registration] = relationship()
