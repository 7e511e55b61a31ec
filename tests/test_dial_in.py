"""Joining by phone (issue 21): organisers enter the dial-in details; people without data
find them in their confirmation, calendar invitation and join page, and hear of changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Registration, Webinar
from eventsapp.services import tokens
from tests.support import create_user, create_webinar, edit_form, login, post, register_via
from tests.test_mail import calendar_parts, run_worker

NUMBERS = "United Kingdom: 020 3481 5240\n\n  United Kingdom: 0131 460 1196  "


def _set_dial_in(client, webinar_id: int, **changes: str) -> None:  # type: ignore[no-untyped-def]
    webinar = db.session.get(Webinar, webinar_id)
    form = edit_form(webinar, **changes)
    assert post(client, f"/organiser/webinars/{webinar_id}/edit", **form).status_code == 302
    db.session.rollback()


def test_the_phone_details_reach_registrants_in_email_invite_and_join_page(app, client, ctx, smtp):
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    webinar_id = create_webinar(starts_at=starts).id
    organiser = app.test_client()
    create_user("ruth@clinic.example.org")
    login(organiser, "ruth@clinic.example.org")
    _set_dial_in(
        organiser,
        webinar_id,
        dial_in_numbers=NUMBERS,
        dial_in_meeting_id="812 3456 7890",
        dial_in_passcode="482913",
    )
    webinar = db.session.get(Webinar, webinar_id)
    assert webinar.phone_numbers == [
        "United Kingdom: 020 3481 5240",
        "United Kingdom: 0131 460 1196",
    ]

    register_via(client, webinar.slug, email="mary@example.com")
    run_worker(app)
    (email,) = smtp.messages
    text = email.message.get_body(("plain",)).get_content()
    assert "No internet? Join by phone" in text
    assert "020 3481 5240" in text and "Meeting ID: 812 3456 7890" in text
    assert "Passcode: 482913" in text
    html = email.message.get_body(("html",)).get_content()
    assert "0131 460 1196" in html and "482913" in html
    calendar_part, _ = calendar_parts(email.message)
    event = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")[0]
    description = str(event["DESCRIPTION"])
    assert "Join by phone: United Kingdom: 020 3481 5240 or United Kingdom: 0131 460 1196" in (
        description
    )
    assert "Passcode: 482913" in description

    registration = db.session.scalars(select(Registration)).one()
    page = client.get(f"/join/{tokens.join_token(registration)}").get_data(as_text=True)
    assert "No internet? Join by phone" in page and "812 3456 7890" in page

    # Not on the public page: the passcode is for registrants.
    public = client.get(f"/webinars/{webinar.slug}").get_data(as_text=True)
    assert "482913" not in public and "020 3481 5240" not in public

    # A new passcode: everyone with a place gets an updated invitation saying so.
    smtp.clear()
    _set_dial_in(organiser, webinar_id, dial_in_passcode="771205")
    run_worker(app)
    (update,) = smtp.messages
    body = update.message.get_body(("plain",)).get_content()
    assert "The details for joining by phone have changed." in body
    assert "Passcode: 771205" in body


def test_no_phone_section_without_numbers(app, client, ctx, smtp):
    webinar = create_webinar()
    register_via(client, webinar.slug)
    run_worker(app)
    text = smtp.messages[0].message.get_body(("plain",)).get_content()
    assert "Join by phone" not in text


def test_a_linked_zoom_webinar_brings_its_phone_numbers_unless_organisers_gave_their_own(
    app, client, ctx, smtp
):
    from tests.fake_zoom import FakeZoom
    from tests.platform_support import serving

    for fake in serving(FakeZoom(), app):
        fake.webinar("81234567890")
        fake.webinar("81234567891")
        organiser = app.test_client()
        create_user("ruth@clinic.example.org")
        login(organiser, "ruth@clinic.example.org")
        linked = create_webinar(slug="linked").id
        own = create_webinar(slug="own").id
        _set_dial_in(organiser, linked, zoom_webinar_id="81234567890")
        _set_dial_in(
            organiser, own, zoom_webinar_id="81234567891", dial_in_numbers="Our line: 0800 123"
        )
        run_worker(app)
        db.session.rollback()
        from_zoom = db.session.get(Webinar, linked)
        assert from_zoom.phone_numbers == ["United Kingdom: +44 20 3481 5240"]
        assert from_zoom.dial_in_meeting_id == "812 3456 7890"
        assert db.session.get(Webinar, own).phone_numbers == ["Our line: 0800 123"]
