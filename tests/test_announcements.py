"""Organisers write to registrants: announcements, and their own paragraph in the emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import Announcement, Attendance, AuditEvent, Registration, Webinar
from eventsapp.services import registration as registrations
from tests.support import create_user, create_webinar, login, post, register_via


def test_an_announcement_is_previewed_then_reaches_each_chosen_person_once(app, client, ctx, smtp):
    now = datetime.now(UTC)
    webinar = create_webinar(slug="past", starts_at=now - timedelta(days=1), capacity=2)
    people = {}
    for name, email in (
        ("Ann Example", "ann@example.com"),
        ("Bob Brief", "bob@example.com"),
        ("Wendy Wait", "wendy@example.com"),  # the waiting list
    ):
        people[email] = registrations.register(
            webinar, registrations.RegistrationInput(name, email), now - timedelta(days=5)
        ).registration
    db.session.add(
        Attendance(
            registration=people["ann@example.com"], minutes=50, source="zoom", updated_at=now
        )
    )
    db.session.commit()
    webinar_id = webinar.id
    with app.app_context():
        worker.run_once()  # confirmations
    smtp.clear()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")

    page = client.get(f"/organiser/webinars/{webinar_id}/announcements").get_data(as_text=True)
    assert "Everyone who attended (1 person)" in page
    assert "Everyone with a place or on the waiting list (3 people)" in page
    empty = post(client, f"/organiser/webinars/{webinar_id}/announcements", subject="", body="")
    assert empty.status_code == 400 and "Enter a subject" in empty.get_data(as_text=True)

    drafted = post(
        client,
        f"/organiser/webinars/{webinar_id}/announcements",
        audience="attended",
        subject="The slides from last night",
        body="Thank you for coming. **The slides** are [here](https://example.org/slides).",
    )
    preview = client.get(drafted.headers["Location"]).get_data(as_text=True)
    assert "This goes to <strong>1 person</strong>: everyone who attended" in preview
    assert "Dear Ann Example" in preview and "personal-link-hidden-in-preview" in preview
    with app.app_context():
        assert worker.run_once().sent == 0  # a preview sends nothing

    announcement = db.session.scalars(select(Announcement)).one()
    send = f"/organiser/webinars/{webinar_id}/announcements/{announcement.id}/send"
    post(client, send)
    post(client, send)  # pressed twice: still once
    with app.app_context():
        assert worker.run_once().sent == 1
    (received,) = smtp.to("ann@example.com")
    assert received.message["Subject"].strip() == "The slides from last night"
    html = received.message.get_body(("html",)).get_content()
    assert "<strong>The slides</strong>" in html and 'href="https://example.org/slides"' in html
    text = received.message.get_body(("plain",)).get_content()
    assert "not medical advice" in text and "/manage/" in text
    assert smtp.to("bob@example.com") == [] and smtp.to("wendy@example.com") == []
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "announcement.sent")
    ).one()
    assert event.details["emails"] == 1 and event.details["audience"] == "attended"


def test_before_the_webinar_nobody_is_written_to_by_whether_they_attended(client, ctx):
    """Before the end "did not attend" would be everyone with a place: not offered, and a
    crafted request is refused."""
    now = datetime.now(UTC)
    webinar = create_webinar(slug="soon", starts_at=now + timedelta(days=3))
    registrations.register(
        webinar, registrations.RegistrationInput("Ann Example", "ann@example.com"), now
    )
    db.session.commit()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    url = f"/organiser/webinars/{webinar.id}/announcements"
    page = client.get(url).get_data(as_text=True)
    assert "Everyone with a place (1 person)" in page
    assert "who attended" not in page and "did not attend" not in page
    crafted = post(client, url, audience="not_attended", subject="Sorry", body="We missed you")
    assert crafted.status_code == 400
    assert db.session.scalars(select(Announcement)).all() == []


def test_markup_in_an_announcement_is_inert(app, client, ctx, smtp):
    webinar = create_webinar(slug="soon")
    register_via(client, "soon")
    with app.app_context():
        worker.run_once()
    smtp.clear()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    drafted = post(
        client,
        f"/organiser/webinars/{webinar.id}/announcements",
        audience="everyone",
        subject="News",
        body='<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror="alert(1)">',
    )
    preview = client.get(drafted.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in preview
    announcement = db.session.scalars(select(Announcement)).one()
    post(client, f"/organiser/webinars/{webinar.id}/announcements/{announcement.id}/send")
    with app.app_context():
        worker.run_once()
    html = smtp.messages[0].message.get_body(("html",)).get_content()
    assert "<script" not in html and "javascript:" not in html and "onerror" not in html


def test_the_organisers_note_appears_in_confirmation_reminder_and_follow_ups(
    app, client, ctx, smtp
):
    webinar = create_webinar(slug="noted")
    webinar.email_note = "Have a **glass of water** and a cushion ready."
    db.session.commit()
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    for kind in ("confirmation", "reminder", "follow_up_attended", "follow_up_missed"):
        sample = client.get(f"/organiser/webinars/{webinar.id}/emails/sample/{kind}")
        assert sample.status_code == 200, kind
        assert "glass of water" in sample.get_data(as_text=True), kind
    register_via(client, "noted")
    with app.app_context():
        worker.run_once()
    (confirmation,) = smtp.messages
    assert (
        "<strong>glass of water</strong>" in confirmation.message.get_body(("html",)).get_content()
    )
    text = confirmation.message.get_body(("plain",)).get_content()
    assert "Have a **glass of water** and a cushion ready." in text
    assert text.index("Your place is confirmed") < text.index("glass of water")
    assert db.session.scalars(select(Registration)).one().webinar_id == webinar.id
    assert db.session.get(Webinar, webinar.id).email_note.startswith("Have a")
