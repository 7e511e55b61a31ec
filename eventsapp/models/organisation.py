"""The partner organisations that host webinars (the clinic and the charity).

Everything the public pages say about an organisation (who it is, how to reach it, its
registrations with the Charity Commission, a health regulator and the ICO, its logo) comes
from here, set by its own organisers, so no template holds a name or a number.
"""

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
    # One plain sentence for "Who runs these webinars".
    about: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    charity_number: Mapped[str | None] = mapped_column(String(40))
    regulator: Mapped[str | None] = mapped_column(String(200))  # e.g. Care Quality Commission
    regulator_number: Mapped[str | None] = mapped_column(String(60))
    ico_number: Mapped[str | None] = mapped_column(String(20))  # data protection register
    dpo_email: Mapped[str | None] = mapped_column(String(320))
    # File name under instance/photos/ (checked and re-encoded on upload); None shows the name.
    logo_filename: Mapped[str | None] = mapped_column(String(200))

    @property
    def registrations(self) -> list[str]:
        """Its public registrations, each as a sentence, for "Who runs these webinars"."""
        lines = []
        if self.charity_number:
            lines.append(f"Registered charity number {self.charity_number}")
        if self.regulator:
            number = f", number {self.regulator_number}" if self.regulator_number else ""
            lines.append(f"Registered with the {self.regulator}{number}")
        return lines

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"
