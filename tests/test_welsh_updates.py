"""Someone who registered in Welsh hears of changes in Welsh (docs/welsh.md): the "webinar
has changed" email, worded when it is sent (Welsh dates, no mutation after a preposition),
with its updated invitation; and organisers' announcements, in Welsh when they wrote a
Welsh version. English registrants' emails are as they were; an update queued before the
change (English sentences in the outbox row) still goes, in English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import ical.calendar_stream
from icalendar import Calendar
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import outbox
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import Announcement, OutboxMessage, Registration, Webinar
from tests.support import (
    PASSWORD,
    assert_accessible,
    create_user,
    create_webinar,
    csrf_token,
    edit_form,
    login,
    post,
    register_via,
    registration_form,
    writing,
)
from tests.test_mail import calendar_parts, run_worker

START = datetime(2030, 6, 4, 17, 30, tzinfo=UTC)  # Tuesday, 6:30pm BST
MOVED = datetime(2030, 6, 5, 18, 0, tzinfo=UTC)  # Wednesday, 7:00pm BST
BASE = "https://webinars.example.org"  # PUBLIC_BASE_URL in tests/conftest.py
TITLE = "Cannabis medicines and chronic back pain: a specialist panel"  # create_webinar's
WELSH_TITLE = "Meddyginiaethau canabis a phoen cefn cronig: panel o arbenigwyr"


def _register_in_welsh(client: Any, slug: str, **overrides: Any) -> None:
    page = client.get(f"/cy/webinars/{slug}")
    data = registration_form(**overrides)
    data["csrf_token"] = csrf_token(page.get_data(as_text=True))
    assert client.post(f"/cy/webinars/{slug}", data=data).status_code == 303


def _bodies(received: Any) -> tuple[str, str]:
    message = received.message
    return (
        message.get_body(("plain",)).get_content().replace("\r\n", "\n"),
        message.get_body(("html",)).get_content(),
    )


def _catrin_and_ann(app: Any, client: Any, smtp: Any, **webinar: Any) -> int:
    """A published webinar; Catrin registers on the Welsh page, Ann on the English; their
    confirmations are sent."""
    webinar_id = create_webinar(slug="panel", starts_at=START, **webinar).id
    db.session.commit()
    _register_in_welsh(client, "panel", email="catrin@example.com", full_name="Catrin Jones")
    register_via(client, "panel", email="ann@example.com", full_name="Ann Example")
    assert run_worker(app).sent == 2
    smtp.clear()
    return webinar_id


def _organiser(app: Any) -> Any:
    organiser = app.test_client()
    create_user("colin@clinic.example")
    login(organiser, "colin@clinic.example")
    return organiser


def test_a_moved_webinar_is_told_in_welsh_to_the_welsh_registrant_and_in_english_to_others(
    any_app, any_ctx, smtp
):
    client = any_app.test_client()
    webinar_id = _catrin_and_ann(any_app, client, smtp, join_url="https://zoom.example/j/1")
    organiser = _organiser(any_app)
    form = edit_form(
        db.session.get(Webinar, webinar_id),
        start_date="2030-06-05",
        start_time="19:00",
        duration_minutes="90",
    )
    assert post(organiser, f"/organiser/webinars/{webinar_id}/edit", **form).status_code == 302
    assert run_worker(any_app).sent == 2

    # Catrin: all Welsh, the dates in Welsh after colons, her /cy links.
    (welsh,) = smtp.to("catrin@example.com")
    assert welsh.message["Subject"].strip() == f"Wedi newid: {TITLE}"
    text, html = _bodies(welsh)
    lines = text.splitlines()
    assert lines[0] == "Annwyl Catrin Jones,"
    assert "Mae newid i weminar y mae gennych le arni." in lines
    assert (
        "- Mae'r weminar wedi symud. Yr hen amser: dydd Mawrth 4 Mehefin 2030, 6:30pm BST. "
        "Yr amser newydd: dydd Mercher 5 Mehefin 2030, 7:00pm BST."
    ) in lines
    assert "- Mae'r amser gorffen wedi newid: 8:30pm BST." in lines
    assert "Pryd: dydd Mercher 5 Mehefin 2030, 7:00pm i 8:30pm BST (amser y DU)" in lines
    assert "Mae eich lle wedi'i gadarnhau o hyd; nid oes angen i chi wneud dim." in text
    assert f"{BASE}/cy/manage/" in text and f"{BASE}/manage/" not in text
    assert "Dear" not in text + html and "moved" not in text + html
    assert '<html lang="cy">' in html
    assert "<li>Mae&#39;r weminar wedi symud. Yr hen amser: dydd Mawrth 4 Mehefin 2030" in html
    assert f'lang="en">{TITLE}</a>' in html  # no Welsh title: the English one, marked
    assert "canslwch eich cofrestriad</a> er mwyn i rywun ar y rhestr aros gael eich lle" in html
    # Her calendar moves: a REQUEST at the new time, its description in Welsh.
    calendar_part, _ = calendar_parts(welsh.message)
    assert calendar_part.get_param("method") == "REQUEST"
    ics = calendar_part.get_content()
    (event,) = Calendar.from_ical(ics).walk("VEVENT")
    assert int(event["SEQUENCE"]) == 1
    assert "Gweminar ar-lein yw hon." in str(event["DESCRIPTION"])
    (parsed,) = ical.calendar_stream.IcsCalendarStream.from_ics(ics).calendars
    assert parsed.events[0].dtstart == MOVED
    assert parsed.events[0].dtend == MOVED + timedelta(minutes=90)

    # Ann: English, as it always was.
    (english,) = smtp.to("ann@example.com")
    assert english.message["Subject"].strip() == f"Changed: {TITLE}"
    text, html = _bodies(english)
    assert text.startswith(
        "Dear Ann Example,\n\nThere is a change to a webinar you are booked on.\n\n"
        "- The webinar has moved from Tuesday 4 June 2030, 6:30pm BST "
        "to Wednesday 5 June 2030, 7:00pm BST.\n"
        "- It now ends at 8:30pm BST.\n\n"
    )
    assert "When: Wednesday 5 June 2030, 7:00pm to 8:30pm BST (UK time)" in text
    assert (
        "The attached calendar update changes the entry in your calendar. Your place is still "
        "confirmed; you do not need to do anything.\n\n"
        "If you can no longer come, please cancel so that someone on the waiting list can have "
        f"your place:\n{BASE}/manage/"
    ) in text
    assert "/cy/" not in text + html and '<html lang="en-GB">' in html
    assert f'style="color:#1d70b8;">{TITLE}</a>' in html  # no lang mark
    calendar_part, _ = calendar_parts(english.message)
    (event,) = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
    assert "This is an online webinar." in str(event["DESCRIPTION"])

    # What was queued is data, not sentences: the same change, worded as each email is sent.
    row = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == EmailKind.WEBINAR_UPDATED)
    ).first()
    assert row.context["changes"] == [
        {"change": "moved", "from": START.isoformat(), "to": MOVED.isoformat()},
        {"change": "ends", "at": (MOVED + timedelta(minutes=90)).isoformat()},
    ]


def test_phone_and_link_changes_are_told_in_welsh_with_the_welsh_title(app, client, ctx, smtp):
    webinar_id = _catrin_and_ann(
        app, client, smtp, join_url="https://zoom.example/j/1", title_cy=WELSH_TITLE
    )
    organiser = _organiser(app)
    form = edit_form(
        db.session.get(Webinar, webinar_id),
        join_url="https://zoom.example/j/2",
        dial_in_numbers="United Kingdom: 020 3481 5240",
    )
    assert post(organiser, f"/organiser/webinars/{webinar_id}/edit", **form).status_code == 302
    run_worker(app)
    (welsh,) = smtp.to("catrin@example.com")
    assert welsh.message["Subject"].strip() == f"Wedi newid: {WELSH_TITLE}"
    lines = _bodies(welsh)[0].splitlines()
    assert "- Mae'r manylion ar gyfer ymuno dros y ffôn wedi newid." in lines
    assert (
        "- Mae'r ddolen ymuno wedi newid. Byddwn yn anfon y ddolen newydd atoch mewn e-bost cyn "
        "i'r weminar ddechrau."
    ) in lines
    assert not any("wedi symud" in line for line in lines)  # it did not move
    (english,) = smtp.to("ann@example.com")
    assert english.message["Subject"].strip() == f"Changed: {TITLE}"
    lines = _bodies(english)[0].splitlines()
    assert "- The details for joining by phone have changed." in lines
    assert (
        "- The joining link has changed. We will email you the new link before it starts."
    ) in lines


def test_an_update_queued_before_as_english_sentences_still_sends_in_english(
    app, client, ctx, smtp
):
    _catrin_and_ann(app, client, smtp)
    sentence = (
        "The webinar has moved from Tuesday 4 June 2030, 6:30pm BST "
        "to Wednesday 5 June 2030, 7:00pm BST."
    )
    with writing():
        catrin = db.session.scalars(
            select(Registration).where(Registration.email == "catrin@example.com")
        ).one()
        catrin.webinar.sequence = 1
        outbox.enqueue(
            EmailKind.WEBINAR_UPDATED,
            recipient=catrin.email,
            now=datetime.now(UTC),
            registration=catrin,
            context={"changes": [sentence]},  # as rows were queued before
            sequence=1,
        )
    assert run_worker(app).sent == 1
    (received,) = smtp.to("catrin@example.com")
    # Whole in English (a half-Welsh email helps no one), with its sentence as it was.
    assert received.message["Subject"].strip() == f"Changed: {TITLE}"
    text, html = _bodies(received)
    assert text.startswith(
        "Dear Catrin Jones,\n\nThere is a change to a webinar you are booked on."
    )
    assert f"- {sentence}" in text.splitlines() and f"<li>{sentence}</li>" in html
    assert "/cy/" not in text + html and '<html lang="en-GB">' in html
    calendar_part, _ = calendar_parts(received.message)
    assert calendar_part.get_param("method") == "REQUEST"


def _announce(organiser: Any, webinar_id: int, **fields: str) -> Any:
    return post(
        organiser,
        f"/organiser/webinars/{webinar_id}/announcements",
        **{"audience": "everyone", "subject": "The slides", "body": "They are **here**.", **fields},
    )


def test_an_announcement_with_a_welsh_version_reaches_each_person_in_their_language(
    any_app, any_ctx, smtp
):
    client = any_app.test_client()
    webinar_id = _catrin_and_ann(any_app, client, smtp)
    organiser = _organiser(any_app)
    page = organiser.get(f"/organiser/webinars/{webinar_id}/announcements")
    assert "1 of 2 people registered in Welsh." in page.get_data(as_text=True)

    drafted = _announce(organiser, webinar_id, subject_cy="Y sleidiau", body_cy="Maen nhw **yma**.")
    assert drafted.status_code == 302
    preview = organiser.get(drafted.headers["Location"]).get_data(as_text=True)
    assert "1 of 2 people registered in Welsh: they get the Welsh version below." in preview
    assert "<h2>The email in English</h2>" in preview and "<h2>The email in Welsh</h2>" in preview
    assert '<span lang="cy">Y sleidiau</span>' in preview
    assert "Annwyl Catrin Jones," in preview and "Dear Ann Example," in preview
    assert run_worker(any_app).sent == 0  # a preview sends nothing

    announcement = db.session.scalars(select(Announcement)).one()
    post(organiser, f"/organiser/webinars/{webinar_id}/announcements/{announcement.id}/send")
    assert run_worker(any_app).sent == 2

    (welsh,) = smtp.to("catrin@example.com")
    assert welsh.message["Subject"].strip() == "Y sleidiau"
    text, html = _bodies(welsh)
    assert text.startswith("Annwyl Catrin Jones,\n\nMaen nhw **yma**.\n\n")
    assert "They are" not in text + html and "Dear" not in text + html
    assert f"Am y weminar hon: {TITLE}, dydd Mawrth 4 Mehefin 2030, 6:30pm i 7:30pm BST." in text
    assert f"{BASE}/cy/manage/" in text and f"{BASE}/cy/reminders/stop/" in text
    assert '<html lang="cy">' in html and "<p>Maen nhw <strong>yma</strong>.</p>" in html
    assert f'Am y weminar hon: <strong lang="en">{TITLE}</strong>' in html
    assert "ffoniwch GIG 111" in text  # the Welsh footer
    assert f"<{BASE}/cy/reminders/stop/" in welsh.message["List-Unsubscribe"]

    (english,) = smtp.to("ann@example.com")
    assert english.message["Subject"].strip() == "The slides"
    text, html = _bodies(english)
    assert text.startswith("Dear Ann Example,\n\nThey are **here**.\n\n")
    assert f"This is about: {TITLE}, Tuesday 4 June 2030, 6:30pm to 7:30pm BST." in text
    assert f"<p>This is about: <strong>{TITLE}</strong>, Tuesday" in html
    assert "/cy/" not in text + html and '<html lang="en-GB">' in html
    assert "Y sleidiau" not in text + html


def test_without_a_welsh_version_the_welsh_registrant_gets_the_english(app, client, ctx, smtp):
    webinar_id = _catrin_and_ann(app, client, smtp)
    organiser = _organiser(app)
    drafted = _announce(organiser, webinar_id)
    preview = organiser.get(drafted.headers["Location"]).get_data(as_text=True)
    assert "There is no Welsh version, so they get the English." in preview
    assert "<h2>The email</h2>" in preview and "The email in Welsh" not in preview
    announcement = db.session.scalars(select(Announcement)).one()
    post(organiser, f"/organiser/webinars/{webinar_id}/announcements/{announcement.id}/send")
    assert run_worker(app).sent == 2
    (received,) = smtp.to("catrin@example.com")
    assert received.message["Subject"].strip() == "The slides"
    text, html = _bodies(received)
    assert text.startswith("Dear Catrin Jones,\n\nThey are **here**.")
    assert "/cy/" not in text + html and '<html lang="en-GB">' in html
    assert "Annwyl" not in text


def test_half_a_welsh_version_is_refused_and_nothing_is_saved_or_sent(app, client, ctx, smtp):
    webinar_id = _catrin_and_ann(app, client, smtp)
    organiser = _organiser(app)
    refused = _announce(organiser, webinar_id, subject_cy="Y sleidiau")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "Write the message in Welsh too, or clear the Welsh subject" in page
    assert 'value="Y sleidiau"' in page  # what they typed is kept
    refused = _announce(organiser, webinar_id, body_cy="Maen nhw yma.")
    assert refused.status_code == 400
    assert "Enter the subject in Welsh too, or clear the Welsh message" in refused.get_data(
        as_text=True
    )
    assert db.session.scalars(select(Announcement)).all() == []
    assert run_worker(app).sent == 0 and smtp.messages == []


def test_the_announcement_form_with_a_welsh_error_and_both_previews_pass_axe(
    app, client, ctx, smtp, page, live_server
):
    webinar_id = _catrin_and_ann(app, client, smtp)
    create_user("colin@clinic.example")
    base = live_server.url
    page.goto(base + "/organiser/login")
    page.get_by_label("Email address").fill("colin@clinic.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Webinars", level=1).wait_for()

    page.goto(f"{base}/organiser/webinars/{webinar_id}/announcements")
    page.get_by_label("Subject", exact=True).fill("The slides")
    page.get_by_label("Message", exact=True).fill("They are here.")
    page.get_by_label("Subject in Welsh").fill("Y sleidiau")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("alert").filter(has_text="Write the message in Welsh too").wait_for()
    assert_accessible(page, "announcement form with a Welsh error")

    page.get_by_label("Message in Welsh").fill("Maen nhw yma.")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("heading", name="The email in Welsh", level=2).wait_for()
    assert_accessible(page, "announcement preview in English and Welsh")
