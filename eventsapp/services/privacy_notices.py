"""The privacy notice's versions: what each said, when it took effect, what changed.

Every consent stores the version the person saw, so each version stays readable at
/privacy/<version>. To change the notice, add its text as templates/public/privacy/<version>.html
and a Notice here, last; the new version applies to consents from then on.

A version may also have a Welsh text, <version>.cy.html beside the English: the same notice
in another language (consents record only the version), shown on the Welsh pages. Older
versions without one are shown in English there (docs/welsh.md). A published text, in
either language, is never edited: a correction is a new version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext

from eventsapp import locales
from eventsapp.config import PROJECT_ROOT

# Where the notices' texts are: as a template name (for render_template) and on disk (to see
# which languages a version has, from the files themselves rather than a list kept by hand).
TEXTS = "public/privacy"
TEXTS_DIR = PROJECT_ROOT / "templates" / TEXTS


def N_(message: str) -> str:  # gettext's conventional name for "extract this"
    """Marks a message for the catalogue (a pybabel keyword); it is translated when shown."""
    return message


@dataclass(frozen=True)
class Notice:
    version: str
    in_force_from: datetime  # UTC
    # The site's own summary of what changed, translated through the catalogue (the notice's
    # text is legal text, translated as a whole file per version: `text`).
    summary: str

    @property
    def changes(self) -> locales.Words:
        """The summary in the language shown: Welsh on a Welsh page, or the English marked
        lang="en" (locales.in_english) while its translation is missing."""
        shown, text = locales.shown_language(), gettext(self.summary)
        return locales.Words(text, locales.ENGLISH if text == self.summary else shown, shown)

    def _filename(self, language: str) -> str:
        return (
            f"{self.version}.html"
            if language == locales.ENGLISH
            else f"{self.version}.{language}.html"
        )

    def text(self, language: str) -> str:
        """The template of this version's text in `language` (see `text_language`)."""
        return f"{TEXTS}/{self._filename(language)}"

    def text_language(self, wanted: str) -> str:
        """The language the notice is shown in on a page in `wanted`: that language when this
        version has a text in it (its file exists), else English, the text every version has."""
        if wanted != locales.ENGLISH and (TEXTS_DIR / self._filename(wanted)).is_file():
            return wanted
        return locales.ENGLISH


NOTICES: tuple[Notice, ...] = (
    Notice("2026-11", datetime(2026, 11, 1, tzinfo=UTC), N_("First version.")),
    Notice(
        "2026-12",
        datetime(2026, 11, 30, tzinfo=UTC),
        N_(
            "Names both organisations and how to contact them, our lawful bases, the services "
            "we use, and each of your rights."
        ),
    ),
    Notice(
        "2026-12.1",
        datetime(2026, 11, 30, 13, 0, tzinfo=UTC),
        N_(
            "Adds booking for someone you care for, communication needs, text reminders and "
            "who sends them, and each organisation copying its bookings into its own records."
        ),
    ),
)


def current() -> Notice:
    return NOTICES[-1]


def find(version: str) -> Notice | None:
    return next((n for n in NOTICES if n.version == version), None)
