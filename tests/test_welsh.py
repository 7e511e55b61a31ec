"""The public pages in Welsh (docs/welsh.md): under /cy, with lang="cy", a link to the same
page in English, dates in Welsh, kept pages and ETags per language, and every wrapped
message translated."""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from sqlalchemy import select

from eventsapp import uktime
from eventsapp.extensions import db
from eventsapp.models import Attendance, Recording, Registration, Webinar
from eventsapp.services import certificates, privacy_notices, tokens
from tests.support import (
    assert_accessible,
    create_webinar,
    register_via,
)

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "eventsapp" / "translations" / "cy" / "LC_MESSAGES"
# What `pybabel extract -k lazy_gettext -k lazy_ngettext:1,2` looks for (docs/welsh.md).
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
BASE = "https://webinars.example.org"  # PUBLIC_BASE_URL in tests/conftest.py


def _key(message_id: str | tuple[str, ...]) -> str:
    return message_id if isinstance(message_id, str) else message_id[0]


def _text(string: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (string,) if isinstance(string, str) else tuple(string)


def _extracted() -> dict[str, str]:
    """Every message wrapped for translation in the code and templates as they are now."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, str] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.setdefault(_key(message), filename)
    return found


def test_every_message_has_a_welsh_translation_and_the_compiled_catalogue_is_current():
    """A string newly wrapped in _() without a Welsh translation fails here, and so does a
    translation edited in the .po without `make translations` (the .mo is what is served)."""
    extracted = _extracted()
    assert len(extracted) > 150, "extraction found too little: is babel.cfg right?"
    with open(CATALOGUE / "messages.po", "rb") as po_file:
        po = read_po(po_file, locale="cy")
    translated = {_key(m.id): m for m in po if m.id and all(_text(m.string))}
    missing = {msgid: where for msgid, where in extracted.items() if msgid not in translated}
    assert not missing, (
        "no Welsh translation (run `pybabel update` and translate them in "
        f"{CATALOGUE / 'messages.po'}):\n" + "\n".join(f"  {w}: {m!r}" for m, w in missing.items())
    )
    assert not any(m.fuzzy for m in po if m.id), "fuzzy translations are not served: review them"
    leftovers = sorted(set(translated) - set(extracted))
    assert not leftovers, f"messages no longer in the code (pybabel update drops them): {leftovers}"

    with open(CATALOGUE / "messages.mo", "rb") as mo_file:
        mo = read_mo(mo_file)
    served = {_key(m.id): _text(m.string) for m in mo if m.id}
    stale = [msgid for msgid, m in translated.items() if served.get(msgid) != _text(m.string)]
    assert not stale, (
        f"messages.mo is older than messages.po: run `make translations` ({stale[:3]})"
    )


def test_welsh_plural_forms_of_places_left(client, ctx):
    for seats, words in (
        (1, "1 lle ar ôl"),
        (2, "2 le ar ôl"),
        (3, "3 lle ar ôl"),
        (20, "20 lle ar ôl"),
    ):
        webinar = create_webinar(slug=f"seats-{seats}", capacity=seats)
        db.session.commit()
        html = client.get(f"/cy/webinars/{webinar.slug}").get_data(as_text=True)
        assert words in html, seats
    assert "1 place left" in client.get("/webinars/seats-1").get_data(as_text=True)


def test_dates_and_times_in_welsh_and_english_unchanged():
    winter = datetime(2026, 12, 15, 18, 30, tzinfo=UTC)
    summer = datetime(2026, 6, 2, 11, 0, tzinfo=UTC)  # midday BST
    assert uktime.format_when_cy(winter, winter + timedelta(minutes=75)) == (
        "dydd Mawrth 15 Rhagfyr 2026, 6:30pm i 7:45pm GMT"
    )
    assert uktime.format_when(winter, winter + timedelta(minutes=75)) == (
        "Tuesday 15 December 2026, 6:30pm to 7:45pm GMT"
    )
    assert uktime.format_datetime_cy(summer) == "dydd Mawrth 2 Mehefin 2026, canol dydd BST"
    assert uktime.format_time_cy(datetime(2026, 1, 1, 0, 0, tzinfo=UTC)) == "hanner nos GMT"
    # The clocks go back between start and end: the zone after each time.
    change = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert uktime.format_times_cy(change, change + timedelta(hours=1)) == (
        "1:30am BST i 1:30am GMT"
    )
    assert uktime.format_duration_cy(75) == "1 awr 15 munud"
    assert uktime.format_duration_cy(122) == "2 awr 2 funud"
    assert uktime.format_wait_cy(timedelta(days=1, hours=2)) == "1 diwrnod a 2 awr"
    assert uktime.format_wait_cy(timedelta(days=2)) == "2 ddiwrnod"
    assert uktime.format_period_cy(365) == "12 mis"
    assert uktime.date_tile(winter, "cy") == ("Maw", "15", "Rhag")
    assert uktime.date_tile(winter) == ("Tue", "15", "Dec")


def _language_link(html: str) -> re.Match[str] | None:
    return re.search(
        r'<a class="app-language" href="([^"]+)" hreflang="([^"]+)" lang="([^"]+)">([^<]+)</a>',
        html,
    )


def _alternates(html: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html))


def _webinar_pages(app: Flask) -> None:
    client = app.test_client()
    webinar = create_webinar(slug="panel")
    create_webinar(
        slug="earlier", title="Pacing and sleep", starts_at=datetime.now(UTC) - timedelta(days=3)
    )
    db.session.commit()
    when = uktime.format_when_cy(webinar.starts_at, webinar.ends_at)

    home = client.get("/cy/")
    html = home.get_data(as_text=True)
    assert home.status_code == 200
    assert '<html lang="cy">' in html
    assert "<h1>Gweminarau am ddim ar reoli poen cefn a gwddf</h1>" in html
    assert when.split(", ")[1] in html and uktime.format_date_cy(webinar.starts_at) in html
    assert 'href="/cy/webinars/panel"' in html  # links stay in Welsh
    assert _language_link(html).groups() == ("/", "en-GB", "en", "English")
    assert _alternates(html) == {"en-GB": f"{BASE}/", "cy": f"{BASE}/cy/", "x-default": f"{BASE}/"}
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)">', html).group(1)
    assert client.get(stylesheet).status_code == 200

    page = client.get("/cy/webinars/panel")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<html lang="cy">' in html
    assert f"<dd>{when} (1 awr)</dd>" in html
    assert '<h2 id="about-title">Am y weminar hon</h2>' in html
    assert "Mae'r disgrifiad hwn yn Saesneg." in html
    # The organisers' words are English, and marked so (WCAG 3.1.2).
    assert f'<h1 lang="en">{webinar.title}</h1>' in html
    assert '<div class="prose" lang="en">' in html
    assert _language_link(html).groups() == ("/webinars/panel", "en-GB", "en", "English")
    assert _alternates(html)["cy"] == f"{BASE}/cy/webinars/panel"
    assert f'<meta property="og:url" content="{BASE}/cy/webinars/panel">' in html

    english = client.get("/webinars/panel").get_data(as_text=True)
    assert '<html lang="en-GB">' in english
    assert _language_link(english).groups() == ("/cy/webinars/panel", "cy", "cy", "Cymraeg")
    assert _alternates(english)["x-default"] == f"{BASE}/webinars/panel"
    assert uktime.format_when(webinar.starts_at, webinar.ends_at) in english
    assert "Gweminar" not in english.replace("Cymraeg", "")

    for path, heading in (
        ("/cy/past", "Gweminarau blaenorol"),
        ("/cy/contact", "Cysylltu â ni"),
        ("/cy/privacy", "Hysbysiad preifatrwydd"),
        ("/cy/webinars/earlier", "Pacing and sleep"),
        ("/cy/certificates", "Gwirio tystysgrif bresenoldeb"),
    ):
        response = client.get(path)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, path
        assert '<html lang="cy">' in html and re.search(rf"<h1[^>]*>{heading}</h1>", html), path
        assert _language_link(html).group(1) == path.removeprefix("/cy"), path
    privacy = client.get("/cy/privacy").get_data(as_text=True)
    assert "<h2>Pwy ydym ni</h2>" in privacy and '<div lang="en">' not in privacy
    assert "Mae'r weminar hon wedi dod i ben" in client.get("/cy/webinars/earlier").text

    missing = client.get("/cy/no-such-page")
    html = missing.get_data(as_text=True)
    assert missing.status_code == 404 and '<html lang="cy">' in html
    assert "<h1>Heb ddod o hyd i&#39;r dudalen</h1>" in html
    assert _language_link(html).group(1) == "/no-such-page"
    # The organisers' area and the API have no Welsh version.
    left_alone = client.get("/cy/organiser/login")
    assert left_alone.status_code == 404 and _language_link(left_alone.text) is None
    assert client.get("/cy/api/v1/webinars").status_code == 404
    assert client.get("/cy").status_code == 200


def test_public_pages_in_welsh(any_ctx):
    _webinar_pages(any_ctx)


def _without_token(page: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", page)


def test_kept_pages_and_etags_are_per_language(client, ctx):
    create_webinar(slug="kept")
    db.session.commit()
    first = client.get("/webinars/kept")
    welsh = client.get("/cy/webinars/kept")
    again = client.get("/webinars/kept")
    assert '<html lang="en-GB">' in first.get_data(as_text=True)
    assert '<html lang="cy">' in welsh.get_data(as_text=True)
    assert "Cofrestru – mae am ddim" in welsh.get_data(as_text=True)
    assert '<html lang="en-GB">' in again.get_data(as_text=True)
    assert "Register – it's free" in again.get_data(as_text=True)
    # The same kept page (the form's token is signed with the time: compared without it).
    assert _without_token(again.get_data(as_text=True)) == _without_token(
        first.get_data(as_text=True)
    )
    assert welsh.headers["ETag"] != first.headers["ETag"]
    # An English copy's tag never answers for the Welsh page, nor the reverse.
    assert (
        client.get(
            "/cy/webinars/kept", headers={"If-None-Match": first.headers["ETag"]}
        ).status_code
        == 200
    )
    assert (
        client.get("/webinars/kept", headers={"If-None-Match": welsh.headers["ETag"]}).status_code
        == 200
    )
    assert (
        client.get(
            "/cy/webinars/kept", headers={"If-None-Match": welsh.headers["ETag"]}
        ).status_code
        == 304
    )
    # The widget's kept page too.
    assert '<html lang="cy">' in client.get("/cy/embed/webinars/kept").get_data(as_text=True)
    assert '<html lang="en-GB">' in client.get("/embed/webinars/kept").get_data(as_text=True)


def test_personal_pages_in_welsh(client, ctx):
    """The manage page from an email link, with /cy put in front: Welsh, links stay Welsh."""
    create_webinar(slug="mine")
    db.session.commit()
    register_via(client, "mine", email="ann@example.com", full_name="Ann Example")
    registration = db.session.scalars(select(Registration)).one()
    token = tokens.manage_token(registration)
    html = client.get(f"/cy/manage/{token}").get_data(as_text=True)
    assert '<html lang="cy">' in html and "<h1>Eich cofrestriad</h1>" in html
    assert f'href="/cy/manage/{token}/cancel"' in html
    html = client.get(f"/cy/join/{tokens.join_token(registration)}").get_data(as_text=True)
    assert "Nid yw'r weminar wedi dechrau eto" in html
    # How long until the doors open, in Welsh ("ymhen 9 diwrnod"), not "9 days".
    assert "Gallwch ymuno ymhen" in html and not re.search(r"\d (days|hours|minutes)", html)
    assert f'href="/cy/join/{tokens.join_token(registration)}"' in html  # "Check again"


def test_welsh_pages_pass_axe_at_390_pixels(browser, live_server, client, ctx):
    create_webinar(slug="panel", capacity=1)
    register_via(client, "panel", email="ann@example.com", full_name="Ann Example")
    create_webinar(slug="open", title="Living well with neck pain")
    context: Any = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    for path, heading in (
        ("/cy/", "Gweminarau am ddim ar reoli poen cefn a gwddf"),
        ("/cy/webinars/open", "Living well with neck pain"),
        ("/cy/webinars/panel", "Cannabis medicines and chronic back pain: a specialist panel"),
        ("/cy/contact", "Cysylltu â ni"),
        ("/cy/privacy", "Hysbysiad preifatrwydd"),
        ("/cy/privacy/2026-11", "Hysbysiad preifatrwydd"),  # no Welsh text: English, marked
        ("/cy/no-such-page", "Heb ddod o hyd i'r dudalen"),
    ):
        page.goto(live_server.url + path)
        page.get_by_role("heading", name=heading, level=1).wait_for()
        assert page.evaluate("document.documentElement.lang") == "cy"
        assert_accessible(page, f"{path} at 390px")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} scrolls sideways ({width}px)"
    page.get_by_role("link", name="English").click()
    page.get_by_role("heading", name="Page not found", level=1).wait_for()
    assert page.evaluate("document.documentElement.lang") == "en-GB"
    context.close()


# --- every Welsh page, as a visitor meets it --------------------------------------------

# Set to a directory to keep a full-page PNG of each page checked below (to look at them).
SHOTS = os.environ.get("WELSH_SCREENSHOTS")


def _welsh_site(client: Any) -> dict[str, str]:
    """People who registered in Welsh: two for a webinar to come, two for one that has
    ended (a professional who attended, with a certificate) with its recording published;
    the personal links of each, under /cy."""
    create_webinar(slug="panel", capacity=5)
    create_webinar(
        slug="earlier",
        title="Pacing and sleep with chronic back pain",
        capacity=5,
        recording_url="https://video.example.org/rec/1",
    )
    for slug, email, audience in (
        ("panel", "ann@example.com", "living_with_pain"),
        ("panel", "bob@example.com", "carer"),
        ("earlier", "cat@example.com", "healthcare_professional"),
        ("earlier", "dai@example.com", "other"),
    ):
        name = email.split("@")[0].title() + " Jones"
        assert (
            register_via(
                client, slug, welsh=True, email=email, full_name=name, audience=audience
            ).status_code
            == 303
        )
    now = datetime.now(UTC)
    earlier = db.session.scalars(select(Webinar).where(Webinar.slug == "earlier")).one()
    earlier.starts_at = now - timedelta(days=2)
    ann, bob, cat, dai = (
        db.session.scalars(
            select(Registration).where(Registration.email == f"{n}@example.com")
        ).one()
        for n in ("ann", "bob", "cat", "dai")
    )
    db.session.add(Attendance(registration=cat, minutes=55, source="zoom", updated_at=now))
    db.session.add(
        Recording(
            webinar_id=earlier.id,
            transcript="## Sleep\n\nWe talked about sleep.",
            chapters=[],
            published_at=now,
            updated_at=now,
        )
    )
    db.session.flush()
    certificate = certificates.issue(cat, now)
    assert certificate is not None
    links = {
        "manage": f"/cy/manage/{tokens.manage_token(ann)}",
        "manage_bob": f"/cy/manage/{tokens.manage_token(bob)}",
        "join": f"/cy/join/{tokens.join_token(ann)}",
        "stop": f"/cy/reminders/stop/{ann.id}/{tokens.stop_reminders_token(ann)}",
        "feedback": f"/cy/feedback/{dai.id}/{tokens.feedback_token(dai)}",
        "certificate": f"/cy/certificates/{certificate.number}",
    }
    db.session.commit()
    return links


class _Visitor:
    """A browser window of one width, checking each Welsh page it arrives at."""

    def __init__(self, browser: Any, base: str, width: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page, self.base, self.width = self.context.new_page(), base, width

    def visit(self, path: str, heading: str, lang: str = "cy") -> None:
        self.page.goto(self.base + path)
        self.arrived(heading, path, lang)

    def arrived(self, heading: str, where: str, lang: str = "cy") -> None:
        page = self.page
        page.get_by_role("heading", name=heading, level=1).wait_for()
        assert page.evaluate("document.documentElement.lang") == lang, where
        where = f"{where} at {self.width}px"
        if SHOTS:
            name = re.sub(r"[^a-z0-9]+", "-", where.lower()).strip("-")[:60]
            page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)
        assert_accessible(page, where)
        scrolled = page.evaluate("document.documentElement.scrollWidth")
        assert scrolled <= self.width, f"{where} scrolls sideways ({scrolled}px)"
        # The key facts' labels ("Trefnwyr" is the longest) fit their column.
        cramped = page.eval_on_selector_all(
            ".meta dt",
            "els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent)",
        )
        assert cramped == [], f"{where}: labels wider than their column: {cramped}"

    def close(self) -> None:
        self.context.close()


def test_every_welsh_page_and_form_state_passes_axe_at_390_pixels(
    browser, live_server, client, ctx
):
    links = _welsh_site(client)
    visitor = _Visitor(browser, live_server.url, 390)
    page = visitor.page
    visitor.visit("/cy/past", "Gweminarau blaenorol")
    visitor.visit(
        "/cy/webinars/earlier/recording", "Recordiad: Pacing and sleep with chronic back pain"
    )
    visitor.visit("/cy/certificates", "Gwirio tystysgrif bresenoldeb")
    visitor.visit(links["certificate"], "Mae'r dystysgrif hon yn ddilys")
    visitor.visit(
        "/cy/certificates/NOT-A-NUMBER", "Nid oeddem yn gallu dod o hyd i'r dystysgrif honno"
    )
    visitor.visit(links["join"], "Cannabis medicines and chronic back pain: a specialist panel")
    assert page.get_by_text("Nid yw'r weminar wedi dechrau eto").count() == 1

    # The manage page and its language form: English from now on, said calmly.
    visitor.visit(links["manage"], "Eich cofrestriad")
    languages = page.get_by_role("group", name="Ym mha iaith ddylen ni ysgrifennu atoch?")
    assert languages.get_by_label("Cymraeg").is_checked()
    languages.get_by_label("English").check()
    page.get_by_role("button", name="Newid iaith").click()
    page.get_by_role("status").filter(has_text="Byddwn yn ysgrifennu atoch yn Saesneg").wait_for()
    visitor.arrived("Eich cofrestriad", "manage, language changed")
    assert (
        page.get_by_role("group", name="Ym mha iaith ddylen ni ysgrifennu atoch?")
        .get_by_label("English")
        .is_checked()
    )

    visitor.visit(links["stop"], "Stopio negeseuon e-bost am y weminar hon?")
    page.get_by_role("button", name="Stopio nodiadau atgoffa a negeseuon dilynol").click()
    visitor.arrived("Nodiadau atgoffa wedi'u stopio", "reminders stopped")

    # Feedback: empty, with errors, then thanks.
    visitor.visit(links["feedback"], "Eich adborth")
    page.get_by_role("button", name="Anfon adborth").click()
    page.get_by_role("alert").filter(has_text="Mae problem").wait_for()
    visitor.arrived("Eich adborth", "feedback with errors")
    page.get_by_role("group", name="At ei gilydd, sut oedd y weminar?").get_by_label(
        "5 – da iawn"
    ).check()
    page.get_by_role(
        "group", name="Pa mor ddefnyddiol oedd hi ar gyfer rheoli eich poen?"
    ).get_by_label("4 – defnyddiol").check()
    page.get_by_label("Ie", exact=True).check()
    page.get_by_role("button", name="Anfon adborth").click()
    visitor.arrived("Diolch am eich adborth", "feedback thanks")

    visitor.visit(links["manage"] + "/cancel", "Ydych chi'n siŵr eich bod am ganslo?")
    page.get_by_role("button", name="Ydw, canslo fy nghofrestriad").click()
    visitor.arrived("Mae eich cofrestriad wedi'i ganslo", "cancelled")

    visitor.visit(
        links["manage_bob"] + "/delete", "Ydych chi'n siŵr eich bod am ddileu eich manylion?"
    )
    page.get_by_role("button", name="Ydw, dileu fy manylion").click()
    visitor.arrived("Mae eich manylion wedi'u dileu", "details deleted")
    visitor.close()


def test_welsh_pages_with_key_facts_at_1280_pixels(browser, live_server, client, ctx):
    """The manage and join pages list the key facts with their labels beside them: the
    Welsh "Trefnwyr" must fit its column on a wide screen too (and English still look right)."""
    links = _welsh_site(client)
    visitor = _Visitor(browser, live_server.url, 1280)
    visitor.visit(links["manage"], "Eich cofrestriad")
    visitor.visit(links["join"], "Cannabis medicines and chronic back pain: a specialist panel")
    # The same columns in English.
    visitor.visit(links["manage"].removeprefix("/cy"), "Your registration", lang="en-GB")
    visitor.close()


def test_the_privacy_notice_is_welsh_where_its_version_has_a_welsh_text(client, ctx):
    """The current notice has a Welsh text (2026-12.1.cy.html), shown whole on the Welsh
    page; an older version without one is its English, marked lang="en" after a Welsh note;
    the English pages are as they were. The site's own version lines are translated."""
    current = privacy_notices.current()
    assert current.text_language("cy") == "cy"
    for path in ("/cy/privacy", f"/cy/privacy/{current.version}"):
        html = client.get(path).get_data(as_text=True)
        assert "<h2>Pwy ydym ni</h2>" in html and "<h2>Eich hawliau</h2>" in html, path
        assert "<strong>rheolyddion ar y cyd</strong>" in html, path
        # The retention period in Welsh, inside the Welsh text.
        assert "Rydym yn cadw eich cofrestriad am 12 mis ar ôl y weminar" in html, path
        assert "Who we are" not in html and "12 months" not in html, path
        assert 'lang="en"' not in html.split("<h1>", 1)[1].split("<h2>Fersiynau", 1)[0], path
        assert "ar gael yn Saesneg yn unig" not in html, path
        # The note to reviewers stays in the template (a Jinja comment): never served.
        assert "awaiting approval" not in html
    assert "Y fersiwn gyntaf." in html and "First version." not in html
    assert "Yn enwi&#39;r ddau sefydliad" in html or "Yn enwi'r ddau sefydliad" in html
    assert '<span lang="en">First' not in html

    for version in ("2026-11", "2026-12"):
        notice = privacy_notices.find(version)
        assert notice is not None and notice.text_language("cy") == "en", version
        older = client.get(f"/cy/privacy/{version}").get_data(as_text=True)
        assert "Mae'r hysbysiad hwn ar gael yn Saesneg yn unig ar hyn o bryd." in older
        marked = older.split('<div lang="en">', 1)[1].split("<h2>Fersiynau", 1)[0]
        assert "<h2>Who we are</h2>" in marked and marked.rstrip().endswith("</div>"), version
        assert "Pwy ydym ni" not in older
    # The retention period stays English inside an English text on a Welsh page.
    assert "for 12 months after the webinar" in client.get("/cy/privacy/2026-12").text

    english = client.get("/privacy").get_data(as_text=True)
    assert "<h2>Who we are</h2>" in english and "for 12 months after the webinar" in english
    assert "First version." in english and "Y fersiwn gyntaf." not in english
    assert "Pwy ydym ni" not in english and "Saesneg" not in english
    assert 'lang="en"' not in english.split("<h1>", 1)[1]


def test_a_welsh_privacy_notice_is_the_same_notice_and_consent_records_only_the_version(
    client, ctx
):
    create_webinar(slug="panel")
    db.session.commit()
    assert register_via(client, "panel", welsh=True, email="ann@example.com").status_code == 303
    registration = db.session.scalars(select(Registration)).one()
    assert registration.language == "cy"
    assert registration.consent_notice_version == privacy_notices.current().version


# {{ … }} and {% … %}: what a notice's text takes from the page (organisations, providers,
# the retention period) and its structure around them (loops, conditions).
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


def _jinja(text: str) -> Counter[str]:
    return Counter(" ".join(tag.split()) for tag in _JINJA.findall(text))


def test_each_welsh_privacy_text_has_the_same_jinja_as_its_english_twin():
    """A Welsh text is a translation of one version: a later edit of the English text's
    values or structure that the Welsh does not follow fails here."""
    welsh_texts = sorted(privacy_notices.TEXTS_DIR.glob("*.cy.html"))
    assert welsh_texts, "no Welsh privacy notice text found: is TEXTS_DIR right?"
    versions = {notice.version for notice in privacy_notices.NOTICES}
    for welsh in welsh_texts:
        version = welsh.name.removesuffix(".cy.html")
        english = welsh.with_name(f"{version}.html")
        assert version in versions and english.is_file(), f"{welsh.name}: no such notice version"
        english_tags, welsh_tags = _jinja(english.read_text()), _jinja(welsh.read_text())
        assert english_tags, f"{english.name}: found no Jinja (is the pattern right?)"
        assert welsh_tags == english_tags, (
            f"{welsh.name} differs from {english.name}: only in English "
            f"{sorted((english_tags - welsh_tags).elements())}, only in Welsh "
            f"{sorted((welsh_tags - english_tags).elements())}"
        )
    # The comparison itself notices a change.
    assert _jinja("{{ a }}{% if b %}{% endif %}") != _jinja("{{ a }}{% if c %}{% endif %}")
