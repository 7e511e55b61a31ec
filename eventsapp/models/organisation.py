"""The partner organisations that host webinars (the clinic and the charity).

Everything the public pages say about an organisation (who it is, how to reach it, its
registrations with the Charity Commission, a health regulator and the ICO, its logo) comes
from here, set by its own organisers, so no template holds a name or a number.
"""

from __future__ import annotations

from flask_babel import gettext
from markupsafe import Markup, escape
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.extensions import db
from eventsapp.locales import in_english


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
    # Welsh twins (locales.words): empty shows the English on Welsh pages.
    marketing_description_cy: Mapped[str | None] = mapped_column(String(300))
    about_cy: Mapped[str | None] = mapped_column(String(300))
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
    def registrations(self) -> list[Markup]:
        """Its public registrations, each as a sentence, for "Who runs these webinars": in
        the language shown (translated when read), the regulator's name marked as English
        on a Welsh page (it is the organisers' word)."""
        lines = []
        if self.charity_number:
            sentence = gettext("Registered charity number %(number)s")
            lines.append(escape(sentence) % {"number": self.charity_number})
        if self.regulator:
            sentence = (
                gettext("Registered with the %(regulator)s, number %(number)s")
                if self.regulator_number
                else gettext("Registered with the %(regulator)s")
            )
            values = {"regulator": in_english(self.regulator), "number": self.regulator_number}
            lines.append(escape(sentence) % values)
        return lines

    def __repr__(self) -> str:
        return f"<Organisation {self.slug}>"
