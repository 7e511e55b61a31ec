"""Speakers (a library shared by both organisations) and their places on panels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.types import Labelled, one_of

if TYPE_CHECKING:
    from eventsapp.models.webinar import Webinar


class PanelRole(Labelled):
    """A place on the panel, with its word in the language being written."""

    CHAIR = "chair", lazy_gettext("Chair")
    MODERATOR = "moderator", lazy_gettext("Moderator")
    PANELLIST = "panellist", lazy_gettext("Panellist")


class Speaker(db.Model):  # type: ignore[name-defined]
    __tablename__ = "speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    professional_title: Mapped[str] = mapped_column(String(200), default="")
    organisation: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    # Welsh twins (locales.words): empty shows the English on Welsh pages.
    professional_title_cy: Mapped[str] = mapped_column(String(200), default="", server_default="")
    bio_cy: Mapped[str] = mapped_column(Text, default="", server_default="")
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

    @property
    def role_label(self) -> str:
        return str(PanelRole(self.role).label)

    @property
    def shown_role(self) -> str:
        """The role said beside the name ("Chair"); "" for a panellist, as most are."""
        return "" if self.role == PanelRole.PANELLIST else self.role_label
