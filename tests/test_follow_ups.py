"""After the webinar: follow-ups by attendance, and the feedback survey."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import Attendance, Registration, Webinar
from eventsapp.services import registration as registrations
from eventsapp.services import tokens
from tests.support import create_user, create_webinar, csrf_token, edit_form, login, post


def _past_webinar_with_people(now: datetime) -> Webinar:
    start = (now - timedelta(hours=3)).replace(second=0, microsecond=0)  # as the form keeps it
    webinar = create_webinar(slug="past", starts_at=start, capacity=10, hosts=("clinic",))
    for name, email, minutes in [
        ("Ann Example", "ann@example.com", 30),
        ("Bob Brief", "bob@example.com", 5),
        ("Cat Quiet", "cat@example.com", 50),
    ]:
        reg = registrations.register(
            webinar, registrations.RegistrationInput(name, email), now - timedelta(days=3)
        ).registration
        db.session.add(Attendance(registration=reg, minutes=minutes, source="zoom", updated_at=now))
    cat = db.session.scalars(
        select(Registration).where(Registration.email == "cat@example.com")
    ).one()
    cat.reminders_opt_out = True
    db.session.commit()
    return webinar


def test_recording_first_then_final_attendance_then_a_preview_then_each_the_right_email(
    app, client, ctx, smtp
):
    now = datetime.now(UTC)
    webinar = _past_webinar_with_people(now)
    dan = registrations.register(
        webinar,
        registrations.RegistrationInput("Dan Late", "dan@example.com"),
        now - timedelta(days=2),
    ).registration
    db.session.commit()
    webinar_id, dan_id = webinar.id, dan.id
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    with app.app_context():
        worker.run_once()  # the confirmations
    smtp.clear()

    # The recording before the attendance is final: stored, and nobody is emailed yet.
    recording = "https://video.example.org/rec/42"
    saved = post(
        client,
        f"/organiser/webinars/{webinar_id}/edit",
        **edit_form(webinar, recording_url=recording),
    )
    note = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "once the attendance is complete" in note
    with app.app_context():
        assert worker.run_once().sent == 0
    refused = post(client, f"/organiser/webinars/{webinar_id}/follow-ups")
    assert "Confirm that the attendance is complete" in client.get(
        refused.headers["Location"]
    ).get_data(True)

    # Final: a preview with the counts and a sample of each, then one button sends.
    post(client, f"/organiser/webinars/{webinar_id}/attendance/final")
    preview = client.get(f"/organiser/webinars/{webinar_id}/follow-ups").get_data(as_text=True)
    assert "Thank you for joining: sample (1 person)" in preview
    assert "Sorry we missed you: sample (2 people)" in preview
    assert "Send 3 follow-up emails" in preview and recording in preview
    post(client, f"/organiser/webinars/{webinar_id}/follow-ups")
    with app.app_context():
        assert worker.run_once().sent == 3
    (thanks,) = smtp.to("ann@example.com")
    assert thanks.message["Subject"].strip().startswith("Thank you for joining us")
    text = thanks.message.get_body(("plain",)).get_content()
    assert recording in text and "/feedback/" in text
    assert thanks.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    (missed,) = smtp.to("bob@example.com")
    assert missed.message["Subject"].strip().startswith("Sorry we missed you")
    assert recording in missed.message.get_body(("plain",)).get_content()
    assert "/feedback/" not in missed.message.get_body(("plain",)).get_content()
    assert smtp.to("cat@example.com") == []  # she stopped emails about this webinar

    # Dan is checked in late: he gets the thank-you, once.
    smtp.clear()
    post(client, f"/organiser/webinars/{webinar_id}/attendance/{dan_id}/checkin")
    post(client, f"/organiser/webinars/{webinar_id}/follow-ups")  # again: nothing new
    with app.app_context():
        assert worker.run_once().sent == 1
    (late,) = smtp.to("dan@example.com")
    assert late.message["Subject"].strip().startswith("Thank you for joining us")


def test_sorry_we_missed_you_never_reaches_someone_who_attended(app, client, ctx, smtp):
    """Even when attendance changes between queueing and sending."""
    now = datetime.now(UTC)
    webinar = _past_webinar_with_people(now)
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    with app.app_context():
        worker.run_once()
    smtp.clear()
    post(client, f"/organiser/webinars/{webinar.id}/attendance/final")
    post(client, f"/organiser/webinars/{webinar.id}/follow-ups")  # Bob: "missed you" queued
    bob = db.session.scalars(
        select(Registration).where(Registration.email == "bob@example.com")
    ).one()
    bob.attendance.minutes = 45  # a corrected report lands before the worker runs
    db.session.commit()
    with app.app_context():
        worker.run_once()
    assert [m.message["Subject"].strip()[:9] for m in smtp.to("bob@example.com")] != ["Sorry we "]
    assert all(
        not m.message["Subject"].strip().startswith("Sorry we missed you")
        for m in smtp.to("bob@example.com")
    )


def test_follow_ups_wait_until_the_webinar_has_ended(client, ctx):
    webinar = create_webinar(slug="soon", hosts=("clinic",))
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    response = post(client, f"/organiser/webinars/{webinar.id}/follow-ups")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Follow-ups can be sent once the webinar has ended" in page


def test_the_survey_once_per_person_editable_and_summarised(client, ctx):
    now = datetime.now(UTC)
    webinar = _past_webinar_with_people(now)
    ann = db.session.scalars(
        select(Registration).where(Registration.email == "ann@example.com")
    ).one()
    url = f"/feedback/{ann.id}/{tokens.feedback_token(ann)}"
    page = client.get(url)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    token = csrf_token(page.get_data(as_text=True))
    missing = client.post(url, data={"csrf_token": token, "comments": "Great"})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 400 and "Choose how the webinar was overall" in html
    done = client.post(
        url,
        data={
            "csrf_token": token,
            "overall": "5",
            "usefulness": "4",
            "would_recommend": "yes",
            "comments": "Very clear, thank you",
        },
    )
    assert "Thank you for your feedback" in done.get_data(as_text=True)
    again = client.get(url).get_data(as_text=True)
    assert "You have already given feedback" in again
    assert re.search(r'value="5"[^>]*checked|checked[^>]*value="5"', again)
    client.post(
        url,
        data={
            "csrf_token": token,
            "overall": "4",
            "usefulness": "4",
            "would_recommend": "yes",
            "comments": "Very clear, thank you",
        },
    )
    bob = db.session.scalars(
        select(Registration).where(Registration.email == "bob@example.com")
    ).one()
    client.post(
        f"/feedback/{bob.id}/{tokens.feedback_token(bob)}",
        data={"csrf_token": token, "overall": "2", "usefulness": "3", "would_recommend": "no"},
    )

    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    summary = client.get(f"/organiser/webinars/{webinar.id}/feedback").get_data(as_text=True)
    assert "<dt>Responses</dt><dd>2</dd>" in summary
    assert "<dd>3.0</dd>" in summary and "<dd>3.5</dd>" in summary and "<dd>50%</dd>" in summary
    assert "Very clear, thank you" in summary

    assert client.get(f"/feedback/{ann.id}/{'x' * 43}").status_code == 404
    db.session.get(Webinar, webinar.id).feedback_open_days = 0
    db.session.commit()
    assert "Feedback for this webinar has closed" in client.get(url).get_data(as_text=True)
