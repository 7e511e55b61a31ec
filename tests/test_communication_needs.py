"""Communication needs as choices, each doing something: organisers see counts and names and
are reminded to book captions or an interpreter in time; plain-text and large-print
preferences change how that person's emails are written; the confirmation says back what
was asked for and what will happen; only the needs a webinar offers are shown and kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Registration, Webinar
from eventsapp.services import registration as registrations
from tests.platform_support import run
from tests.support import (
    create_user,
    create_webinar,
    csv_rows,
    edit_form,
    login,
    post,
    register_via,
    writing,
)
from tests.test_api_keys import get, make_key

DAY = timedelta(days=1)
CAPTIONS = "You asked for live captions: the webinar will have them."


def _types(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def _part(message: EmailMessage, kind: str) -> str:
    return next(p for p in message.walk() if p.get_content_type() == kind).get_content()


def _register(webinar_id: int, name: str, email: str, needs: set[str], now: datetime) -> int:
    with writing():
        webinar = db.session.get(Webinar, webinar_id)
        assert webinar is not None
        data = registrations.RegistrationInput(name, email, communication_needs=frozenset(needs))
        return registrations.register(webinar, data, now).registration_id


def _booking_emails(smtp: object) -> list[EmailMessage]:
    return [
        m.message
        for m in smtp.messages  # type: ignore[attr-defined]
        if m.message["Subject"].strip().startswith("Book captions or an interpreter")
    ]


def test_a_captions_request_shows_to_organisers_and_they_are_reminded_to_book_once(any_ctx, smtp):
    client = any_ctx.test_client()
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    webinar_id = create_webinar(starts_at=starts, needs_booking_days=14).id
    create_user("olive@clinic.example", org="clinic")
    create_user("chris@charity.example", org="charity")
    slug = db.session.get(Webinar, webinar_id).slug
    db.session.rollback()

    response = register_via(client, slug, communication_needs=["live_captions"])
    assert response.status_code == 303
    assert run(any_ctx).sent == 1
    (confirmation,) = smtp.to("ann@example.com")
    assert CAPTIONS in _part(confirmation.message, "text/plain")
    assert CAPTIONS in _part(confirmation.message, "text/html")

    # The organisers' page: how many asked, and who (they arrange it for each person).
    login(client, "olive@clinic.example")
    page = client.get(f"/organiser/webinars/{webinar_id}").get_data(as_text=True)
    row = page[page.index('id="need-live_captions"') :].split("</tr>", 1)[0]
    assert "1 person" in row and "Ann Example" in row
    untouched = page[page.index('id="need-bsl_interpreter"') :].split("</tr>", 1)[0]
    assert "0 people" in untouched and "No one yet" in untouched
    # The count opens the registrants list showing just those people.
    listed = client.get(f"/organiser/webinars/{webinar_id}/registrants?need=live_captions")
    assert "Ann Example" in listed.get_data(as_text=True)
    nobody = client.get(f"/organiser/webinars/{webinar_id}/registrants?need=bsl_interpreter")
    assert "Ann Example" not in nobody.get_data(as_text=True)

    # Nothing before the booking day (14 days before the start) ...
    smtp.clear()
    run(any_ctx, at=starts - timedelta(days=15))
    assert _booking_emails(smtp) == []
    # ... then one email to each host's organiser, with counts and never who asked.
    assert run(any_ctx, at=starts - timedelta(days=14)).needs_booking == 2
    reminders = _booking_emails(smtp)
    assert sorted(m["To"] for m in reminders) == ["chris@charity.example", "olive@clinic.example"]
    text = _part(reminders[0], "text/plain")
    assert "Live captions (words on screen): 1 person" in text
    assert "Ann" not in text and "ann@example.com" not in text
    assert f"/organiser/webinars/{webinar_id}" in text

    # Once: another pass, and more people asking for captions, send nothing new.
    smtp.clear()
    _register(webinar_id, "Bob Brief", "bob@example.com", {"live_captions"}, starts - DAY * 13)
    run(any_ctx, at=starts - timedelta(days=13))
    assert _booking_emails(smtp) == []

    # A need asked for after it went (an interpreter): a second one, with the counts now.
    _register(webinar_id, "Deb Deaf", "deb@example.com", {"bsl_interpreter"}, starts - DAY * 12)
    assert run(any_ctx, at=starts - timedelta(days=12)).needs_booking == 2
    text = _part(_booking_emails(smtp)[0], "text/plain")
    assert "Live captions (words on screen): 2 people" in text
    assert "A British Sign Language (BSL) interpreter: 1 person" in text


def test_no_booking_reminder_when_no_one_asked_for_captions_or_an_interpreter(any_ctx, smtp):
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)
    webinar_id = create_webinar(starts_at=starts).id
    create_user("olive@clinic.example", org="clinic")
    _register(webinar_id, "Ann Example", "ann@example.com", {"transcript"}, datetime.now(UTC))
    assert run(any_ctx, at=starts - timedelta(days=7)).needs_booking == 0
    assert _booking_emails(smtp) == []


def test_a_plain_text_preference_gets_text_only_email_and_large_print_larger_type(any_ctx, smtp):
    client = any_ctx.test_client()
    webinar = create_webinar()
    register_via(client, webinar.slug, communication_needs=["plain_text_email"])
    register_via(
        client,
        webinar.slug,
        full_name="Lee Large",
        email="lee@example.com",
        communication_needs=["large_print_email"],
    )
    register_via(client, webinar.slug, full_name="Usha Usual", email="usha@example.com")
    assert run(any_ctx).sent == 3

    (plain,) = smtp.to("ann@example.com")
    assert "text/html" not in _types(plain.message)
    # The calendar invitation still comes, as the alternative and as the attachment.
    assert "text/calendar" in _types(plain.message)
    assert any(p.get_filename() == "invite.ics" for p in plain.message.walk())
    text = _part(plain.message, "text/plain")
    assert "You asked for plain-text emails" in text and "Your place is confirmed" in text

    (large,) = smtp.to("lee@example.com")
    html = _part(large.message, "text/html")
    assert "font-size:24px" in html and "font-size:19px" not in html
    assert "You asked for large print" in html

    (usual,) = smtp.to("usha@example.com")
    assert "text/html" in _types(usual.message)
    assert "font-size:19px" in _part(usual.message, "text/html")
    assert "You asked for" not in _part(usual.message, "text/plain")


def test_needs_a_webinar_does_not_offer_are_not_shown_and_not_kept(any_ctx, smtp):
    client = any_ctx.test_client()
    webinar = create_webinar(needs_offered=["live_captions"])
    page = client.get(f"/webinars/{webinar.slug}").get_data(as_text=True)
    assert "Live captions (words on screen)" in page
    assert "British Sign Language" not in page and "phone call" not in page

    # One it does not offer is refused with a message, and nothing is saved.
    refused = register_via(
        client, webinar.slug, communication_needs=["live_captions", "bsl_interpreter"]
    )
    assert refused.status_code == 400
    assert "Choose only from the communication needs listed" in refused.get_data(as_text=True)
    db.session.rollback()
    assert db.session.scalars(select(Registration)).all() == []

    response = register_via(client, webinar.slug, communication_needs=["live_captions"])
    assert response.status_code == 303
    db.session.rollback()
    ann = db.session.scalars(select(Registration)).one()
    assert [need.value for need in ann.needs] == ["live_captions"]
    run(any_ctx)
    (confirmation,) = smtp.to("ann@example.com")
    text = _part(confirmation.message, "text/plain")
    assert CAPTIONS in text and "interpreter" not in text

    # A value that is no need at all is refused by the form.
    refused = register_via(
        client, webinar.slug, email="eve@example.com", communication_needs=["a_pony"]
    )
    assert refused.status_code == 400


def test_organisers_choose_the_needs_offered_and_the_booking_day(client, ctx):
    webinar = create_webinar()
    assert len(webinar.needs_offered) == 6 and webinar.needs_booking_days == 14
    create_user("olive@clinic.example", org="clinic")
    login(client, "olive@clinic.example")
    form = client.get(f"/organiser/webinars/{webinar.id}/edit").get_data(as_text=True)
    assert "Communication needs people can ask for" in form
    response = post(
        client,
        f"/organiser/webinars/{webinar.id}/edit",
        **edit_form(
            webinar, needs_offered=["live_captions", "transcript"], needs_booking_days="21"
        ),
    )
    assert response.status_code == 302
    db.session.rollback()
    saved = db.session.get(Webinar, webinar.id)
    assert (saved.needs_offered, saved.needs_booking_days) == (
        ["live_captions", "transcript"],
        21,
    )
    too_soon = post(
        client, f"/organiser/webinars/{webinar.id}/edit", **edit_form(saved, needs_booking_days="0")
    )
    assert too_soon.status_code == 400
    assert "Enter a number of days from 1 to 90" in too_soon.get_data(as_text=True)

    # The next in the series offers the same.
    post(client, f"/organiser/webinars/{webinar.id}/duplicate")
    db.session.rollback()
    copy = db.session.scalars(select(Webinar).where(Webinar.id != webinar.id)).one()
    assert (copy.needs_offered, copy.needs_booking_days) == (["live_captions", "transcript"], 21)


def test_the_registrants_csv_has_the_needs_and_the_carer(client, ctx):
    webinar = create_webinar()
    register_via(
        client,
        webinar.slug,
        who_for="someone_else",
        carer_name="Carol Carer",
        full_name="Mary Smith",
        carer_consent="y",
        communication_needs=["live_captions", "phone_call_reminder"],
    )
    create_user("olive@clinic.example", org="clinic")
    login(client, "olive@clinic.example")
    rows = csv_rows(client.get(f"/organiser/webinars/{webinar.id}/registrants.csv"))
    header, mary = rows[0], rows[1]
    assert mary[header.index("Communication needs")] == (
        "Live captions (words on screen); A phone call to remind me"
    )
    assert mary[header.index("Registered by (carer)")] == "Carol Carer"


def test_the_api_shows_needs_only_to_a_key_that_includes_health(any_ctx):
    webinar_id = create_webinar().id
    registration_id = _register(
        webinar_id, "Ann Example", "ann@example.com", {"bsl_interpreter"}, datetime.now(UTC)
    )
    plain, health = make_key("clinic"), make_key("clinic", health=True)
    client = any_ctx.test_client()
    without = get(client, f"/api/v1/registrations/{registration_id}", plain).get_json()
    assert "communication_needs" not in without and "registered_by_carer" not in without
    full = get(client, f"/api/v1/registrations/{registration_id}", health).get_json()
    assert full["communication_needs"] == ["bsl_interpreter"]
    assert full["registered_by_carer"] is False
