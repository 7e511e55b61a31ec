"""A Welsh visitor registers in Welsh and gets their emails and reminders in Welsh
(docs/welsh.md): the form and its errors, the "check your email" page, the language kept
on the registration, the confirmation with its invitation, a reminder and the text
reminder, all in Welsh with /cy links; an English registrant's emails unchanged."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import ical.calendar_stream
from icalendar import Calendar
from sqlalchemy import select

from eventsapp import uktime
from eventsapp.extensions import db
from eventsapp.mail import render as mail_render
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import Registration
from eventsapp.services import records
from eventsapp.services import registration as registrations
from eventsapp.texts import render as texts
from tests.support import (
    assert_accessible,
    create_webinar,
    register_via,
    registration_by_email,
)
from tests.test_mail import calendar_parts, run_worker

START = datetime(2030, 6, 4, 17, 30, tzinfo=UTC)  # Tuesday, 6:30pm BST
BASE = "https://webinars.example.org"  # PUBLIC_BASE_URL in tests/conftest.py
# GSM-7's basic set (ASCII letters, digits and the usual punctuation): one character
# outside it makes a text UCS-2, 70 characters a part instead of 160.
GSM7 = re.compile(r"^[A-Za-z0-9 \n@£$¥!\"#%&'()*+,\-./:;<=>?_]*$")


def _bodies(received: Any) -> tuple[str, str]:
    message = received.message
    return (
        message.get_body(("plain",)).get_content().replace("\r\n", "\n"),
        message.get_body(("html",)).get_content(),
    )


def test_the_form_its_errors_and_the_registered_page_are_welsh(client, ctx):
    webinar = create_webinar(slug="panel", starts_at=START)
    db.session.commit()
    html = client.get("/cy/webinars/panel").get_data(as_text=True)
    assert '<html lang="cy">' in html
    assert '<div lang="en">' not in html  # the form is no longer marked English
    for words in (
        '<label class="govuk-label govuk-label--s" for="full_name">Enw llawn</label>',
        '<label class="govuk-label govuk-label--s" for="email">Cyfeiriad e-bost</label>',
        "I bwy mae'r lle hwn?",
        "Defnyddio eich manylion",
        "Rwy'n cytuno y caiff y trefnwyr ddefnyddio fy manylion",
        'Mae ein <a href="/cy/privacy">hysbysiad preifatrwydd</a> yn dweud rhagor.',
        '<button type="submit" class="govuk-button">Cofrestru ar gyfer y weminar hon</button>',
    ):
        assert words in html, words
    assert "Full name" not in html and "Register for this webinar" not in html

    # Errors in Welsh; nothing saved.
    refused = register_via(
        client, "panel", welsh=True, full_name="", consent=None, email="not an address"
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Rhowch eich enw llawn" in html
    assert "Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@example.com" in html
    assert "Ticiwch y blwch i gytuno i ni ddefnyddio eich manylion" in html
    assert db.session.scalars(select(Registration)).all() == []

    # Registered: the Welsh "check your email" page, and the language kept.
    response = register_via(
        client, "panel", welsh=True, email="catrin@example.com", full_name="Catrin Jones"
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/cy/webinars/panel/registered")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="cy">' in page and "Gwiriwch eich e-bost" in page
    assert "confirming your place" not in page
    assert f'yn cadarnhau eich lle yn <span lang="en">{webinar.title}</span>' in page
    registration = registration_by_email("catrin@example.com")
    assert registration.language == "cy"
    record = records.registration_record(registration, webinar.hosts[0].id, include_health=False)
    assert record["language"] == "cy"
    # The English page still records English.
    register_via(client, "panel", email="ann@example.com")
    assert registration_by_email("ann@example.com").language == "en"


def test_a_welsh_registrant_gets_welsh_emails_invite_reminder_and_text(app, client, ctx, smtp):
    webinar = create_webinar(
        slug="panel",
        starts_at=START,
        reminder_offsets=[1440],
        dial_in_numbers="United Kingdom: 020 3481 5240",
        dial_in_meeting_id="123 456 789",
        dial_in_passcode="4321",
    )
    db.session.commit()
    register_via(client, "panel", welsh=True, email="catrin@example.com", full_name="Catrin Jones")
    assert run_worker(app).sent == 1

    (received,) = smtp.to("catrin@example.com")
    message = received.message
    assert message["Subject"].strip() == f"Mae gennych le: {webinar.title}"
    text, html = _bodies(received)
    lines = text.splitlines()
    assert lines[0] == "Annwyl Catrin Jones,"
    assert "Diolch am gofrestru. Mae eich lle wedi'i gadarnhau." in text
    when = uktime.format_when_cy(webinar.starts_at, webinar.ends_at)
    assert when == "dydd Mawrth 4 Mehefin 2030, 6:30pm i 7:30pm BST"
    assert f"Pryd: {when} (amser y DU)" in lines
    assert lines[lines.index("Ble: ar-lein") + 1] == ""
    assert "Ffoniwch GIG 111" not in text and "ffoniwch GIG 111" in text  # the footer
    hosts = " a ".join(org.name for org in webinar.hosts)  # "A a B", as the Welsh pages say
    assert f"Anfonwyd gan {hosts}." in text
    assert "Yr hyn y gofynnoch amdano" not in text  # no needs chosen
    manage = re.search(rf"{BASE}(/cy/manage/\S+)", text).group(1)
    join = re.search(rf"{BASE}(/cy/join/\S+)", text).group(1)
    assert f"{BASE}/manage/" not in text and f"{BASE}/join/" not in text
    assert '<html lang="cy">' in html and "Annwyl Catrin Jones," in html
    assert f'lang="en">{webinar.title}</a>' in html  # the organisers' words, marked English
    assert "Ymuno â&#39;r weminar" in html or "Ymuno â'r weminar" in html
    assert "Dear" not in text + html and "When:" not in text
    # The personal links work, and open the Welsh pages.
    assert '<html lang="cy">' in client.get(manage).get_data(as_text=True)
    assert client.get(join).status_code == 200

    # The invitation: still a valid REQUEST; the title is the organisers' (English), the
    # description Welsh with the Welsh links.
    calendar_part, ics_file = calendar_parts(message)
    assert calendar_part.get_param("method") == "REQUEST"
    ics = calendar_part.get_content()
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert str(event["SUMMARY"]) == webinar.title
    description = str(event["DESCRIPTION"])
    assert "Gweminar ar-lein yw hon." in description
    assert f"Gweld neu ganslo eich cofrestriad: {BASE}{manage}" in description
    assert "Dim rhyngrwyd? Ymunwch dros y ffôn: United Kingdom: 020 3481 5240" in description
    assert "ID y cyfarfod: 123 456 789" in description and "Cod pas: 4321" in description
    assert str(event["URL"]) == f"{BASE}/cy/webinars/panel"
    (parsed,) = ical.calendar_stream.IcsCalendarStream.from_ics(ics).calendars
    assert parsed.events[0].dtstart == START

    # The reminder a day before, in Welsh too.
    smtp.clear()
    report = run_worker(app, START - timedelta(days=1) + timedelta(minutes=1))
    assert report.sent == 1
    (reminder,) = smtp.to("catrin@example.com")
    assert reminder.message["Subject"].strip() == (
        f"Nodyn atgoffa: {webinar.title} yfory, 6:30pm BST"
    )
    text, html = _bodies(reminder)
    assert "Annwyl Catrin Jones," in text
    assert "Dyma nodyn i'ch atgoffa bod y weminar y mae gennych le arni yn dechrau yfory." in text
    assert f"{BASE}/cy/reminders/stop/" in text and f"{BASE}{manage}" in text
    assert "Pan ofynnir i chi, rhowch ID y cyfarfod <strong>123 456 789</strong>" in html
    assert f"<{BASE}/cy/reminders/stop/" in reminder.message["List-Unsubscribe"]

    # The text reminder an hour before: Welsh, GSM-7, the Welsh join link.
    registration = registration_by_email("catrin@example.com")
    sms = texts.reminder(registration, registration.webinar, START - timedelta(hours=1))
    assert (
        sms.splitlines()[0]
        == f"Nodyn atgoffa: {texts.short_title(webinar.title)} yn dechrau heddiw am 6:30pm."
    )
    assert f"Ymuno: {BASE}{join}" in sms
    assert "Neu ffoniwch 020 3481 5240, ID 123 456 789, cod pas 4321." in sms
    assert sms.endswith("Atebwch STOP i atal negeseuon testun.")
    assert GSM7.match(sms.replace(BASE, "")), sms
    earlier = texts.reminder(registration, registration.webinar, START - timedelta(days=1))
    assert "yn dechrau ddydd Mawrth am 6:30pm." in earlier

    # An update queued as English sentences (before changes were stored as data) stays
    # English, whole (docs/welsh.md).
    updated = mail_render.sample(EmailKind.WEBINAR_UPDATED, registration, START, changes=["x"])
    assert updated.subject.startswith("Changed: ") and "Dear Catrin Jones," in updated.text
    assert "/cy/" not in updated.text + updated.html and '<html lang="en-GB">' in updated.html

    # Cancelling: the confirmation of it in Welsh, with the Welsh page to register again.
    smtp.clear()
    registrations.cancel(registration, START - timedelta(hours=5))
    db.session.commit()
    run_worker(app, START - timedelta(hours=5))
    (cancelled,) = smtp.to("catrin@example.com")
    assert cancelled.message["Subject"].strip() == f"Cofrestriad wedi'i ganslo: {webinar.title}"
    text, _ = _bodies(cancelled)
    assert "Mae eich cofrestriad ar gyfer y weminar hon wedi'i ganslo, fel y gofynnoch." in text
    assert f"{BASE}/cy/webinars/panel" in text
    calendar_part, _ = calendar_parts(cancelled.message)
    assert calendar_part.get_param("method") == "CANCEL"


def test_an_english_registrants_emails_are_unchanged(app, client, ctx, smtp):
    webinar = create_webinar(slug="panel", starts_at=START, reminder_offsets=[1440])
    db.session.commit()
    register_via(client, "panel", email="ann@example.com", full_name="Ann Example")
    run_worker(app)
    (received,) = smtp.to("ann@example.com")
    assert received.message["Subject"].strip() == f"You are booked: {webinar.title}"
    text, html = _bodies(received)
    assert text.startswith(
        "Dear Ann Example,\n\nThank you for registering. Your place is confirmed."
    )
    assert "When: Tuesday 4 June 2030, 6:30pm to 7:30pm BST (UK time)" in text.splitlines()
    assert "/cy/" not in text + html and '<html lang="en-GB">' in html
    assert f'style="color:#1d70b8;">{webinar.title}</a>' in html  # no lang mark
    assert "For advice about your own health, speak to your GP or call NHS 111." in text
    calendar_part, _ = calendar_parts(received.message)
    (event,) = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
    assert "This is an online webinar." in str(event["DESCRIPTION"])

    smtp.clear()
    run_worker(app, START - timedelta(days=1) + timedelta(minutes=1))
    (reminder,) = smtp.to("ann@example.com")
    assert reminder.message["Subject"].strip() == f"Reminder: {webinar.title} tomorrow, 6:30pm BST"
    registration = registration_by_email("ann@example.com")
    sms = texts.reminder(registration, registration.webinar, START - timedelta(hours=1))
    assert sms.startswith(
        "Reminder: Cannabis medicines and chronic back pain starts today at 6:30pm."
    )


def test_the_welsh_form_with_errors_and_registered_page_pass_axe_at_390_pixels(
    browser, live_server, client, ctx
):
    create_webinar(slug="panel", starts_at=START)
    db.session.commit()
    context: Any = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/cy/webinars/panel")
    page.get_by_role("button", name="Cofrestru ar gyfer y weminar hon").click()
    page.get_by_role("alert").filter(has_text="Rhowch eich enw llawn").wait_for()
    assert page.evaluate("document.documentElement.lang") == "cy"
    assert_accessible(page, "Welsh registration form with errors at 390px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(live_server.url + "/cy/webinars/panel/registered?place=confirmed")
    page.get_by_role("heading", name="Gwiriwch eich e-bost", level=1).wait_for()
    assert_accessible(page, "Welsh registered page at 390px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
