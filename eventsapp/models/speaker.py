"""Speakers (a library shared by both organisations) and their places on panels."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.types import one_of

if TYPE_CHECKING:
    from eventsapp.models.webinar import Webinar


class PanelRole(StrEnum):
    CHAIR = "chair"
    MODERATOR = "moderator"
    PANELLIST = "panellist"


class Speaker(db.Model):  # type: ignore[name-defined]
    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    professional_title: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    # File name under instance/photos/ (issue 3 adds uploads); None shows no photo.
    photo_filename: Mapped[str | None] = mapped_column(String(200))


class PanelMember(db.Model):  # type: ignore[name-defined]
    __tablename__ = "panel_members"
    __table_args__ = (
        UniqueConstraint("webinar_id", "speaker_id"),
        one_of("role", PanelRole),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    speaker_id: Mapped[int] = mapped_column(ForeignKey("speakers.id"))
    role: Mapped[str] = mapped_column(String(20), default=PanelRole.PANELLIST)
    position: Mapped[int] = mapped_column(Integer, default=0)

    speaker: Mapped[Speaker] = relationship(lazy="joined")
    webinar: Mapped[Webinar] = relationship(back_populates="panel")
