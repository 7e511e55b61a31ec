"""Organisers' own words in Welsh (issue 21, docs/welsh.md): an optional Welsh version of the
title, summary, description, email note and a speaker's title and biography, shown on Welsh
pages and in Welsh emails; English (marked lang="en") where there is none. English pages
and emails are unchanged. Welsh versions are reviewed content like the English."""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from icalendar import Calendar
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Approval, Registration, Speaker, Webinar
from eventsapp.texts import render as texts
from tests.support import (
    assert_accessible,
    create_user,
    create_webinar,
    edit_form,
    login,
    post,
    register_via,
)
from tests.test_mail import calendar_parts, run_worker
from tests.test_welsh_registration import _bodies

START = datetime(2030, 6, 4, 17, 30, tzinfo=UTC)  # Tuesday, 6:30pm BST
TITLE_CY = "Meddyginiaethau canabis a phoen cefn cronig: panel o arbenigwyr"
SUMMARY_CY = "Mae arbenigwyr yn ateb eich cwestiynau."
DESCRIPTION_CY = "Byddwn yn siarad am **boen** cefn."
BIO_CY = "Mae Helen yn arwain y clinig."
JOB_CY = "Ymgynghorydd Meddygaeth Poen"
NOTE = "Have your **questions** ready."
NOTE_CY = "Paratowch eich **cwestiynau**."


def _without_token(page: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", page)


def _signed_in_reviewer(client: Any, email: str = "rita@clinic.example") -> None:
    create_user(email, org="clinic", reviewer=True)
    login(client, email)


def _speaker_form(speaker: Speaker, **changes: str) -> dict[str, str]:
    form = {
        "name": speaker.name,
        "professional_title": speaker.professional_title,
        "organisation": speaker.organisation,
        "bio": speaker.bio,
        "professional_title_cy": speaker.professional_title_cy,
        "bio_cy": speaker.bio_cy,
    }
    form.update(changes)
    return form


def test_an_organiser_writes_welsh_and_welsh_readers_see_it(any_ctx):
    client = any_ctx.test_client()
    webinar = create_webinar(slug="panel", starts_at=START)
    _signed_in_reviewer(client)
    english_before = _without_token(client.get("/webinars/panel").get_data(as_text=True))

    # The form offers each Welsh version, optional, with the English's limits.
    form_page = client.get(f"/organiser/webinars/{webinar.id}/edit").get_data(as_text=True)
    assert "Title in Welsh (optional)" in form_page
    assert "Leave blank to show the English on Welsh pages" in form_page
    too_long = post(
        client, f"/organiser/webinars/{webinar.id}/edit", **edit_form(webinar, title_cy="x" * 201)
    )
    assert too_long.status_code == 400
    assert "Title in Welsh must be 200 characters or fewer" in too_long.get_data(as_text=True)
    assert db.session.get(Webinar, webinar.id).title_cy == ""

    saved = post(
        client,
        f"/organiser/webinars/{webinar.id}/edit",
        **edit_form(
            webinar, title_cy=TITLE_CY, summary_cy=SUMMARY_CY, description_cy=DESCRIPTION_CY
        ),
    )
    assert saved.status_code == 302
    speaker = webinar.panel[0].speaker
    saved = post(
        client,
        f"/organiser/speakers/{speaker.id}/edit",
        **_speaker_form(speaker, professional_title_cy=JOB_CY, bio_cy=BIO_CY),
    )
    assert saved.status_code == 302

    welsh = client.get("/cy/webinars/panel").get_data(as_text=True)
    assert f"<title>{TITLE_CY} – " in welsh
    assert f"<h1>{TITLE_CY}</h1>" in welsh
    assert f'<p class="lead">{SUMMARY_CY}</p>' in welsh
    assert (
        '<div class="prose"><p>Byddwn yn siarad am <strong>boen</strong> cefn.</p></div>' in welsh
    )
    assert "Mae&#39;r disgrifiad hwn yn Saesneg." not in welsh
    assert "Mae'r disgrifiad hwn yn Saesneg." not in welsh
    assert f'<meta name="description" content="{SUMMARY_CY}">' in welsh
    assert f'"name": "{TITLE_CY}"' in welsh  # the structured data, in the page's language
    assert f'<p class="panellist-title">{JOB_CY}, <span lang="en">' in welsh
    assert f"<p>{BIO_CY}</p>" in welsh
    assert '<h1 lang="en">' not in welsh and '<p class="lead" lang="en">' not in welsh
    home = client.get("/cy/").get_data(as_text=True)
    assert f'<h3 class="app-card__title"><a href="/cy/webinars/panel">{TITLE_CY}</a></h3>' in home
    # The English page is as it was.
    assert _without_token(client.get("/webinars/panel").get_data(as_text=True)) == english_before


def test_without_welsh_the_english_shows_marked_as_english(client, ctx):
    webinar = create_webinar(slug="panel")
    welsh = client.get("/cy/webinars/panel").get_data(as_text=True)
    assert f'<h1 lang="en">{webinar.title}</h1>' in welsh
    assert '<p class="lead" lang="en">Specialists answer your questions.</p>' in welsh
    assert "Mae'r disgrifiad hwn yn Saesneg." in welsh
    assert '<div class="prose" lang="en">' in welsh
    assert '<p class="panellist-title" lang="en">Consultant in Pain Medicine' in welsh
    assert '<p lang="en">Helen leads the clinic.</p>' in welsh
    english = client.get("/webinars/panel").get_data(as_text=True)
    assert "Saesneg" not in english and 'lang="en">' not in english.replace(
        'hreflang="cy" lang="cy"', ""
    )


def test_organisations_words_and_registrations_in_welsh(client, ctx):
    webinar = create_webinar(slug="panel")
    clinic, charity = webinar.hosts
    clinic.about, clinic.about_cy = "A specialist pain clinic.", "Clinig poen arbenigol."
    clinic.marketing_description = "news about the clinic"
    clinic.marketing_description_cy = "newyddion am y clinig"
    clinic.regulator, clinic.regulator_number = "Care Quality Commission", "1-0001"
    charity.about, charity.charity_number = "The national back pain charity.", "1000001"
    db.session.commit()

    welsh = client.get("/cy/webinars/panel").get_data(as_text=True)
    assert "<p>Clinig poen arbenigol.</p>" in welsh
    assert '<p lang="en">The national back pain charity.</p>' in welsh  # no Welsh: English
    assert (
        '<p class="govuk-hint">Cofrestrwyd gyda&#39;r <span lang="en">Care Quality Commission'
        "</span>, rhif 1-0001</p>"
    ) in welsh
    assert '<p class="govuk-hint">Rhif elusen gofrestredig 1000001</p>' in welsh
    assert "Meadowbank Medical Cannabis Clinic: newyddion am y clinig</label>" in welsh
    contact = client.get("/cy/contact").get_data(as_text=True)
    assert "<p>Clinig poen arbenigol.</p>" in contact
    assert '<p class="govuk-hint">Rhif elusen gofrestredig 1000001</p>' in contact

    english = client.get("/webinars/panel").get_data(as_text=True)
    assert "<p>A specialist pain clinic.</p>" in english and "Clinig" not in english
    assert (
        '<p class="govuk-hint">Registered with the Care Quality Commission, number 1-0001</p>'
    ) in english
    assert '<p class="govuk-hint">Registered charity number 1000001</p>' in english
    assert "Meadowbank Medical Cannabis Clinic: news about the clinic</label>" in english


def _fingerprint_before_welsh(webinar: Webinar) -> str:
    """services/review.fingerprint as it was before Welsh versions existed."""
    content = {
        "title": webinar.title,
        "summary": webinar.summary,
        "description": webinar.description,
        "starts_at": webinar.starts_at.isoformat(),
        "duration_minutes": webinar.duration_minutes,
        "panel": [
            [
                m.role,
                m.speaker.name,
                m.speaker.professional_title,
                m.speaker.organisation,
                m.speaker.bio,
                m.speaker.photo_filename,
            ]
            for m in sorted(webinar.panel, key=lambda m: (m.position, m.id or 0))
        ],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _reviewed(client: Any, path: str) -> bool:
    """Whether the public page shows its "Reviewed by Rita, …" line (in either language)."""
    return '<p class="reviewed">' in client.get(path).get_data(as_text=True)


def test_welsh_versions_are_reviewed_content(any_ctx):
    client = any_ctx.test_client()
    webinar = create_webinar(slug="panel", starts_at=START, hosts=("clinic",))
    _signed_in_reviewer(client)
    # An approval given before Welsh versions existed still counts while none is added.
    db.session.add(
        Approval(
            webinar_id=webinar.id,
            organisation_id=webinar.hosts[0].id,
            reviewer_name="Rita",
            content_hash=_fingerprint_before_welsh(webinar),
            approved_at=datetime.now(UTC) - timedelta(days=30),
        )
    )
    db.session.commit()
    assert _reviewed(client, "/webinars/panel") and _reviewed(client, "/cy/webinars/panel")
    saved = post(
        client, f"/organiser/webinars/{webinar.id}/edit", **edit_form(webinar, capacity="60")
    )
    assert saved.status_code == 302 and _reviewed(client, "/webinars/panel")

    # Adding a Welsh title withdraws it, on both pages.
    response = post(
        client, f"/organiser/webinars/{webinar.id}/edit", **edit_form(webinar, title_cy=TITLE_CY)
    )
    assert response.status_code == 302
    flashed = client.get(f"/organiser/webinars/{webinar.id}").get_data(as_text=True)
    assert "This change withdrew the approval of Meadowbank Medical Cannabis Clinic" in flashed
    assert not _reviewed(client, "/webinars/panel")
    assert not _reviewed(client, "/cy/webinars/panel")

    # The reviewer reads the Welsh in the preview, and approves again.
    preview = client.get(f"/organiser/webinars/{webinar.id}/preview").get_data(as_text=True)
    assert "On the Welsh page" in preview and f"<h3>{TITLE_CY}</h3>" in preview
    assert post(client, f"/organiser/webinars/{webinar.id}/approve").status_code == 302
    assert _reviewed(client, "/webinars/panel") and _reviewed(client, "/cy/webinars/panel")

    # Changing a speaker's Welsh biography withdraws it again.
    speaker = db.session.get(Webinar, webinar.id).panel[0].speaker
    post(client, f"/organiser/speakers/{speaker.id}/edit", **_speaker_form(speaker, bio_cy=BIO_CY))
    assert not _reviewed(client, "/webinars/panel")
    assert post(client, f"/organiser/webinars/{webinar.id}/approve").status_code == 302
    assert _reviewed(client, "/cy/webinars/panel")
    # And changing the Welsh title.
    webinar = db.session.get(Webinar, webinar.id)
    post(
        client,
        f"/organiser/webinars/{webinar.id}/edit",
        **edit_form(webinar, title_cy=TITLE_CY + " ar-lein"),
    )
    assert not _reviewed(client, "/cy/webinars/panel")


def test_welsh_registrants_get_the_welsh_title_and_note(app, client, ctx, smtp):
    webinar = create_webinar(
        slug="panel",
        starts_at=START,
        email_note=NOTE,
        title_cy=TITLE_CY,
        summary_cy=SUMMARY_CY,
        email_note_cy=NOTE_CY,
    )
    db.session.commit()
    register_via(client, "panel", welsh=True, email="catrin@example.com", full_name="Catrin Jones")
    register_via(client, "panel", email="ann@example.com", full_name="Ann Example")
    assert run_worker(app).sent == 2

    (received,) = smtp.to("catrin@example.com")
    assert received.message["Subject"].strip() == f"Mae gennych le: {TITLE_CY}"
    text, html = _bodies(received)
    assert TITLE_CY in text.splitlines() and "Paratowch eich **cwestiynau**." in text
    assert f'style="color:#1d70b8;">{TITLE_CY}</a>' in html  # Welsh: not marked English
    assert "<p>Paratowch eich <strong>cwestiynau</strong>.</p>" in html
    assert webinar.title not in text + html and "questions" not in text
    calendar_part, _ = calendar_parts(received.message)
    (event,) = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
    assert str(event["DESCRIPTION"]).startswith(SUMMARY_CY)
    assert str(event["SUMMARY"]) == TITLE_CY

    # An English registrant of the same webinar: English, as before.
    (english,) = smtp.to("ann@example.com")
    assert english.message["Subject"].strip() == f"You are booked: {webinar.title}"
    text, html = _bodies(english)
    assert webinar.title in text.splitlines() and NOTE in text
    assert TITLE_CY not in text + html and "cwestiynau" not in text
    (event,) = Calendar.from_ical(calendar_parts(english.message)[0].get_content()).walk("VEVENT")
    assert str(event["SUMMARY"]) == webinar.title

    # The text reminder says the Welsh title (as written: see texts/render.py on GSM-7).
    catrin = db.session.scalars(
        select(Registration).where(Registration.email == "catrin@example.com")
    ).one()
    sms = texts.reminder(catrin, webinar, START - timedelta(hours=1))
    assert sms.startswith("Nodyn atgoffa: Meddyginiaethau canabis a phoen cefn... yn dechrau")


def test_a_welsh_page_with_welsh_words_passes_axe_at_390_pixels(browser, live_server, client, ctx):
    webinar = create_webinar(
        slug="panel", title_cy=TITLE_CY, summary_cy=SUMMARY_CY, description_cy=DESCRIPTION_CY
    )
    webinar.panel[0].speaker.bio_cy = BIO_CY
    webinar.hosts[0].about_cy = "Clinig poen arbenigol."
    db.session.commit()
    context: Any = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/cy/webinars/panel")
    page.get_by_role("heading", name=TITLE_CY, level=1).wait_for()
    assert page.evaluate("document.documentElement.lang") == "cy"
    assert_accessible(page, "Welsh page with Welsh words at 390px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_calendar_links_and_files_follow_the_pages_language(client, ctx):
    """ "Add to Google Calendar / Outlook" and the .ics download on a Welsh page carry the
    Welsh title and words; from the English page, the English as before."""
    create_webinar(slug="panel", title_cy=TITLE_CY, summary_cy=SUMMARY_CY)
    db.session.commit()
    welsh = html.unescape(client.get("/cy/webinars/panel").get_data(as_text=True))
    google = re.search(r'href="(https://calendar\.google\.com/[^"]+)"', welsh).group(1)
    query = parse_qs(urlsplit(google).query)
    assert query["text"] == [TITLE_CY]
    assert query["details"][0].startswith(SUMMARY_CY + "\n\nManylion a chofrestru: ")
    assert "https://webinars.example.org/cy/webinars/panel" in query["details"][0]
    outlook = re.search(r'href="(https://outlook\.live\.com/[^"]+)"', welsh).group(1)
    assert parse_qs(urlsplit(outlook).query)["subject"] == [TITLE_CY]
    (event,) = Calendar.from_ical(client.get("/cy/webinars/panel/calendar.ics").data).walk("VEVENT")
    assert str(event["SUMMARY"]) == TITLE_CY and str(event["DESCRIPTION"]).startswith(SUMMARY_CY)

    english = html.unescape(client.get("/webinars/panel").get_data(as_text=True))
    google = re.search(r'href="(https://calendar\.google\.com/[^"]+)"', english).group(1)
    query = parse_qs(urlsplit(google).query)
    assert query["text"] != [TITLE_CY] and "Details and registration: " in query["details"][0]
    (event,) = Calendar.from_ical(client.get("/webinars/panel/calendar.ics").data).walk("VEVENT")
    assert str(event["SUMMARY"]) != TITLE_CY
