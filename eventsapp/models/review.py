"""Sign-off: a reviewer of a host organisation approved a webinar's public content.

An approval holds the fingerprint of the content it approved (services/review.py), so it
counts only while the title, summary, description, panel and times are what the reviewer
saw: any later edit, by any route, leaves it standing as a record but no longer counting.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.extensions import db
from eventsapp.models.organisation import Organisation
from eventsapp.models.types import UTCDateTime

if TYPE_CHECKING:
    from eventsapp.models.webinar import Webinar


class Approval(db.Model):  # type: ignore[name-defined]
    __tablename__ = "webinar_approvals"
    # One per host organisation: approving again replaces it.
    __table_args__ = (UniqueConstraint("webinar_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webinar_id: Mapped[int] = mapped_column(ForeignKey("webinars.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # As shown publicly ("Reviewed by …"): kept as signed, whatever happens to the account.
    reviewer_name: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    webinar: Mapped[Webinar] = relationship(back_populates="approvals")
