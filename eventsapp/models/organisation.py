"""The partner organisations that host webinars (the clinic and the charity)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.extensions import db


class Organisation(db.Model):  # type: ignore[name-defined]
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    # Shown beside the per-organisation marketing opt-in on the registration form.
    marketing_description: Mapped[str | None] = mapped_column(String(300))

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"
