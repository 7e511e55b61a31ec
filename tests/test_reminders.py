"""Reminders: planned by the worker at the right moment, once each, with the right links."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import requests
from icalendar import Calendar
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import Registration, Webinar
from eventsapp.services import registration as registrations
from eventsapp.services import reminders, tokens
from tests.support import create_webinar, free_port
from tests.test_mail import calendar_parts

START = datetime(2030, 6, 4, 17, 30, tzinfo=UTC)  # 6:30pm BST


def _register(webinar: Webinar, email: str, at: datetime) -> Registration:
    reg = registrations.register(
        webinar, registrations.RegistrationInput(email.split("@")[0].title(), email), at
    ).registration
    db.session.commit()
    return reg


def _run(app, at: datetime) -> worker.BatchReport:  # type: ignore[no-untyped-def]
    with app.app_context():
        return worker.run_once(clock=lambda: at)


def _reminders_to(smtp, address: str) -> list:  # type: ignore[no-untyped-def]
    return [m for m in smtp.to(address) if m.message["Subject"].strip().startswith("Reminder")]


def test_each_reminder_goes_once_at_its_time_to_those_booked_by_then(app, ctx, smtp):
    webinar = create_webinar(starts_at=START, capacity=10)
    early = START - timedelta(days=3)
    _register(webinar, "ann@example.com", early)
    gone = _register(webinar, "gone@example.com", early)
    registrations.cancel(gone, early + timedelta(hours=1))
    db.session.commit()
    _register(webinar, "late@example.com", START - timedelta(hours=2))  # after the 1-day time
    _run(app, START - timedelta(days=2))  # confirmations
    smtp.clear()

    assert _run(app, START - timedelta(days=1, minutes=1)).planned == 0  # not yet
    day_before = _run(app, START - timedelta(days=1) + timedelta(minutes=1))
    assert (day_before.planned, day_before.sent) == (1, 1)
    assert _run(app, START - timedelta(hours=2)).planned == 0  # planned once only
    (first,) = _reminders_to(smtp, "ann@example.com")
    assert first.message["Subject"].strip() == (
        "Reminder: Cannabis medicines and chronic back pain: a specialist panel tomorrow, 6:30pm BST"
    )
    assert _run(app, START - timedelta(minutes=59)).sent == 2  # the hour-before, to both
    assert len(_reminders_to(smtp, "ann@example.com")) == 2
    assert len(_reminders_to(smtp, "late@example.com")) == 1
    assert _reminders_to(smtp, "gone@example.com") == []
    ids = [m.message["Message-ID"] for m in smtp.messages]
    assert len(ids) == len(set(ids))


def test_a_reminder_carries_links_time_invite_and_one_click_unsubscribe(app, client, ctx, smtp):
    webinar = create_webinar(
        starts_at=START, join_url="https://zoom.example.com/j/999", reminder_offsets=[60]
    )
    _register(webinar, "ann@example.com", START - timedelta(days=3))
    _run(app, START - timedelta(minutes=50))
    (mail,) = _reminders_to(smtp, "ann@example.com")
    message = mail.message
    text = message.get_body(("plain",)).get_content()
    assert "starts in 1 hour" in text and "Tuesday 4 June 2030, 6:30pm to 7:30pm BST" in text
    join_path = re.search(r"https://webinars\.example\.org(/join/\S+)", text).group(1)
    manage_path = re.search(r"https://webinars\.example\.org(/manage/\S+)", text).group(1)
    assert client.get(manage_path).status_code == 200
    calendar_part, _ = calendar_parts(message)
    (event,) = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
    assert calendar_part.get_param("method") == "REQUEST" and event["SEQUENCE"] == 0
    assert join_path in str(event["DESCRIPTION"])
    unsubscribe = message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    stop_path = re.search(
        r"<https://webinars\.example\.org(/reminders/stop/[^>]+)>", unsubscribe
    ).group(1)
    assert "mailto:webinars@example.org" in unsubscribe
    # The URL is on the wire whole, never as encoded-words: clients read this header raw.
    raw_headers = mail.raw.split(b"\r\n\r\n", 1)[0].decode().replace("\r\n ", " ")
    assert f"<https://webinars.example.org{stop_path}>," in raw_headers

    # One-click, as a mail client does it: a POST with no session and no CSRF token.
    response = client.post(stop_path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "Reminders stopped" in response.get_data(as_text=True)
    assert db.session.scalars(select(Registration)).one().reminders_opt_out is True
    assert client.post(stop_path[:-3] + "abc").status_code == 404


def test_reminders_stop_for_that_webinar_only(app, client, ctx, smtp):
    one = create_webinar(slug="one", starts_at=START, reminder_offsets=[60])
    two = create_webinar(slug="two", starts_at=START + timedelta(days=1), reminder_offsets=[60])
    reg_one = _register(one, "ann@example.com", START - timedelta(days=3))
    reg_two = _register(two, "ann@example.com", START - timedelta(days=3))
    stop = f"/reminders/stop/{reg_one.id}/{tokens.stop_reminders_token(reg_one)}"
    client.post(stop)
    _run(app, START - timedelta(minutes=30))
    _run(app, START + timedelta(days=1) - timedelta(minutes=30))
    (only,) = _reminders_to(smtp, "ann@example.com")
    assert f"/reminders/stop/{reg_two.id}/" in only.message["List-Unsubscribe"]


def test_a_reminder_that_cannot_go_before_the_start_is_dropped(app, ctx, smtp):
    webinar = create_webinar(starts_at=START, reminder_offsets=[60])
    _register(webinar, "ann@example.com", START - timedelta(days=3))
    _run(app, START - timedelta(days=2))
    smtp.clear()
    app.config["MAIL_PORT"] = free_port()  # the server is down for the whole hour
    assert _run(app, START - timedelta(minutes=59)).retried == 1
    app.config["MAIL_PORT"] = smtp.port
    report = _run(app, START + timedelta(minutes=1))
    assert (report.sent, report.skipped) == (0, 1)
    assert smtp.messages == []


def test_a_moved_webinars_reminders_follow_the_new_time(app, ctx, smtp):
    webinar = create_webinar(starts_at=START, reminder_offsets=[1440])
    _register(webinar, "ann@example.com", START - timedelta(days=3))
    _run(app, START - timedelta(days=2))
    smtp.clear()
    app.config["MAIL_PORT"] = free_port()
    _run(app, START - timedelta(hours=23))  # planned for the old time, not delivered
    webinar = db.session.get(Webinar, webinar.id)
    webinar.starts_at = START + timedelta(days=7)  # moved a week later
    db.session.commit()
    app.config["MAIL_PORT"] = smtp.port
    report = _run(app, START - timedelta(hours=22))
    assert (report.sent, report.skipped) == (0, 1)  # the old reminder is dropped
    new_time = START + timedelta(days=6) + timedelta(minutes=1)
    assert _run(app, new_time).sent == 1
    (mail,) = _reminders_to(smtp, "ann@example.com")
    assert "Tuesday 11 June 2030" in mail.message.get_body(("plain",)).get_content()


def test_smtp_down_for_the_first_pass_then_every_reminder_arrives_once(app, ctx, smtp):
    webinar = create_webinar(starts_at=START, capacity=40, reminder_offsets=[60])
    for n in range(25):
        _register(webinar, f"p{n}@example.com", START - timedelta(days=3))
    _run(app, START - timedelta(days=2))
    smtp.clear()
    app.config["MAIL_PORT"] = free_port()
    t = START - timedelta(minutes=59)
    down = _run(app, t)
    assert (down.planned, down.sent) == (25, 0)
    app.config["MAIL_PORT"] = smtp.port
    assert _run(app, t + timedelta(minutes=2)).sent == 25
    assert _run(app, t + timedelta(minutes=30)).sent == 0
    per_recipient = {m.rcpt_tos[0] for m in smtp.messages}
    assert len(smtp.messages) == 25 and len(per_recipient) == 25


def test_one_day_before_is_24_real_hours_across_the_clock_change():
    spring = Webinar(starts_at=datetime(2026, 3, 29, 17, 0, tzinfo=UTC), duration_minutes=60)
    assert reminders.due_time(spring, 1440) == datetime(2026, 3, 28, 17, 0, tzinfo=UTC)
    autumn = Webinar(starts_at=datetime(2026, 10, 25, 18, 0, tzinfo=UTC), duration_minutes=60)
    assert reminders.due_time(autumn, 1440) == datetime(2026, 10, 24, 18, 0, tzinfo=UTC)


def test_dst_reminder_for_6pm_on_29_march_2026_goes_at_17z_on_the_28th(app, ctx, smtp):
    webinar = create_webinar(
        starts_at=datetime(2026, 3, 29, 17, 0, tzinfo=UTC), reminder_offsets=[1440]
    )
    _register(webinar, "ann@example.com", datetime(2026, 3, 1, tzinfo=UTC))
    _run(app, datetime(2026, 3, 2, tzinfo=UTC))
    smtp.clear()
    assert _run(app, datetime(2026, 3, 28, 16, 59, tzinfo=UTC)).planned == 0
    assert _run(app, datetime(2026, 3, 28, 17, 0, tzinfo=UTC)).sent == 1
    (mail,) = smtp.messages
    assert "6:00pm BST" in mail.message["Subject"]


def test_a_wait_of_days_is_counted_in_calendar_days(client, ctx):
    """On 30 November, 24 December is 24 days away whatever the hour: the waiting page says
    so, where the time itself (23 days and some hours) would have said 23."""
    uk = ZoneInfo("Europe/London")
    today = datetime.now(uk).date()
    # Doors at 00:15 UK time 24 days from today: less than 24 whole days from any moment today.
    starts = datetime.combine(today + timedelta(days=24), time(0, 30), tzinfo=uk)
    webinar = create_webinar(slug="later", starts_at=starts.astimezone(UTC))
    link = tokens.join_token(_register(webinar, "ann@example.com", datetime.now(UTC)))
    html = client.get(f"/join/{link}").get_data(as_text=True)
    assert "You can join in 24 days." in html


def test_the_join_link_waits_then_sends_people_to_the_platform(app, client, ctx, live_server):
    now = datetime.now(UTC)
    soon = create_webinar(
        slug="soon", starts_at=now + timedelta(hours=2), join_url="https://zoom.example.com/j/1"
    )
    live = create_webinar(
        slug="live", starts_at=now + timedelta(minutes=10), join_url="https://zoom.example.com/j/2"
    )
    done = create_webinar(slug="done", starts_at=now - timedelta(hours=3))
    links = {}
    for webinar in (soon, live, done):
        reg = _register(webinar, "ann@example.com", now - timedelta(days=1))
        links[webinar.slug] = tokens.join_token(reg)

    waiting = client.get(f"/join/{links['soon']}")
    html = waiting.get_data(as_text=True)
    assert "has not started yet" in html
    assert re.search(r"starts at <strong>\d+:\d\d[ap]m (BST|GMT)</strong>", html)
    # Doors open 15 minutes before a start two hours away: said as a person would.
    assert re.search(r"You can join in 1 hour and 4\d minutes\.", html)
    assert "zoom.example.com" not in html
    assert waiting.headers["Referrer-Policy"] == "no-referrer"

    for _ in range(2):
        response = requests.get(
            f"{live_server.url}/join/{links['live']}", allow_redirects=False, timeout=10
        )
        assert response.status_code == 303
        assert response.headers["Location"] == "https://zoom.example.com/j/2"
    reg = db.session.scalars(select(Registration).where(Registration.webinar_id == live.id)).one()
    assert reg.join_clicks == 2 and reg.joined_first_at <= reg.joined_last_at

    assert "This webinar has ended" in client.get(f"/join/{links['done']}").get_data(as_text=True)
    registrations.cancel(reg, now)
    db.session.commit()
    assert "Your registration was cancelled" in client.get(f"/join/{links['live']}").get_data(
        as_text=True
    )
    assert client.get("/join/" + "x" * 43).status_code == 404
