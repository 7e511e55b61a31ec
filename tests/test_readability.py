"""The site's own words are plain English: Flesch reading ease ≥ 60 (a reading age of 9–11).

Measured on what a visitor reads — the home, webinar, confirmation and manage pages and the
confirmation email — with every organiser-written text (titles, descriptions, names, bios)
taken out, since organisers see their own score as they write.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import Organisation, Registration, Speaker, Webinar
from eventsapp.services import tokens
from eventsapp.services.content import PLAIN_ENGLISH, reading_ease
from tests.support import create_user, create_webinar, login, register_via


class _Text(HTMLParser):
    """Visible text of <body>, one chunk per text node, each ending as a sentence."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        if tag in ("script", "style", "head", "title"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(" ".join(data.split()))


def _sentences(chunks: list[str], organisers_words: list[str]) -> str:
    text = " ".join(c if c[-1] in ".!?:" else c + "." for c in chunks)
    for words in sorted(organisers_words, key=len, reverse=True):
        text = text.replace(words, " ")
    # Addresses, links and numbers are not words a reader reads as prose.
    return re.sub(r"\S+@\S+|https?://\S+|\b[\w-]{43}\b", " ", text)


def _visible(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    return parser.chunks


def _organisers_words() -> list[str]:
    found: list[str] = []
    for model, columns in (
        (Webinar, ("title", "summary", "description")),
        (Speaker, ("name", "professional_title", "organisation", "bio")),
        (Organisation, ("name", "about", "marketing_description")),
    ):
        for row in db.session.scalars(select(model)):
            found += [getattr(row, c) for c in columns if getattr(row, c)]
    return found


def test_the_pages_and_email_a_visitor_reads_are_plain_english(client, ctx, smtp):
    create_webinar(slug="plain")
    registered = register_via(client, "plain")
    manage = f"/manage/{tokens.manage_token(db.session.scalars(select(Registration)).one())}"
    worker.run_once()
    email = smtp.messages[0].message.get_body(("plain",)).get_content()
    pages = {
        "home": client.get("/").get_data(as_text=True),
        "webinar": client.get("/webinars/plain").get_data(as_text=True),
        "confirmation": client.get(registered.headers["Location"]).get_data(as_text=True),
        "manage": client.get(manage).get_data(as_text=True),
    }
    own = _organisers_words()
    texts = {name: _sentences(_visible(html), own) for name, html in pages.items()}
    texts["confirmation email"] = _sentences(
        [line.strip() for line in email.splitlines() if line.strip()], own
    )
    scores = {name: reading_ease(text) for name, text in texts.items()}
    assert all(score is not None for score in scores.values()), scores
    hard = {name: score for name, score in scores.items() if score < PLAIN_ENGLISH}
    assert not hard, f"below {PLAIN_ENGLISH}: {hard} (all: {scores})"


def test_organisers_see_the_reading_ease_of_the_description_they_wrote(client, ctx):
    webinar = create_webinar(slug="hint")
    webinar.description = (
        "Notwithstanding considerable heterogeneity in methodological approaches, "
        "contemporary systematic investigations demonstrate inconsistent efficacy "
        "regarding cannabinoid pharmacotherapeutics for chronic musculoskeletal "
        "symptomatology, necessitating individualised multidisciplinary consideration."
    )
    db.session.commit()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    html = client.get(f"/organiser/webinars/{webinar.id}/edit").get_data(as_text=True)
    assert "Reading ease" in html and "hard to read" in html
    webinar.description = (
        "Many people with back pain ask if cannabis medicines could help. In this free talk, "
        "our panel says what we know and what we do not know yet. You can ask your own "
        "questions too. We will keep it short and clear."
    )
    db.session.commit()
    html = client.get(f"/organiser/webinars/{webinar.id}/edit").get_data(as_text=True)
    assert "Reading ease" in html and "plain English" in html and "hard to read" not in html
