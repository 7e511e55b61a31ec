"""Emails and invites, delivered by the worker to a real SMTP server on loopback."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import ical.calendar_stream
from icalendar import Calendar
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import OutboxMessage, Registration
from eventsapp.services import registration as registrations
from eventsapp.services import tokens
from tests.support import (
    SMTPServer,
    create_user,
    create_webinar,
    csrf_token,
    free_port,
    register_via,
    require,
)

DEBIAN_PYTHON = "/usr/bin/python3"
ITIP_CHECK = Path(__file__).with_name("itip_check.py")


def run_worker(app, at: datetime | None = None) -> worker.BatchReport:  # type: ignore[no-untyped-def]
    with app.app_context():
        return worker.run_once(clock=(lambda: at) if at else worker.utcnow)


def calendar_parts(message: EmailMessage) -> tuple[EmailMessage, EmailMessage]:
    """The text/calendar alternative and the invite.ics attachment."""
    parts = list(message.walk())
    calendar = next(p for p in parts if p.get_content_type() == "text/calendar")
    attachment = next(p for p in parts if p.get_filename() == "invite.ics")
    return calendar, attachment  # type: ignore[return-value]


def libical_itip_check(ics: str) -> None:
    """An independent parser: libical's iTIP rules (needs Debian's python3-gi)."""
    has_gi = (
        os.path.exists(DEBIAN_PYTHON)
        and subprocess.run(
            [DEBIAN_PYTHON, "-c", "import gi; gi.require_version('ICalGLib', '3.0')"],
            capture_output=True,
        ).returncode
        == 0
    )
    require(has_gi, "libical GObject bindings missing (apt install gir1.2-ical-3.0 python3-gi)")
    result = subprocess.run(
        [DEBIAN_PYTHON, str(ITIP_CHECK)], input=ics, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_confirmation_carries_a_real_invite(app, client, ctx, smtp):
    webinar = create_webinar(starts_at=datetime(2030, 6, 4, 17, 30, tzinfo=UTC), capacity=10)
    register_via(client, webinar.slug, full_name="Ann Example", email="ann@example.com")
    report = run_worker(app)
    assert report.sent == 1

    (received,) = smtp.messages
    assert received.rcpt_tos == ["ann@example.com"]
    assert received.mail_from == "webinars@example.org"
    raw_headers = received.raw.split(b"\r\n\r\n", 1)[0].decode()
    assert len(re.findall(r"(?im)^message-id:", raw_headers)) == 1
    msg = received.message
    row = db.session.scalars(select(OutboxMessage)).one()
    assert msg["Message-ID"] == row.message_id and msg["Message-ID"].endswith("@example.org>")
    assert row.status == "sent" and row.sent_at is not None
    assert msg["To"] == "ann@example.com"
    assert msg["Subject"].strip() == f"You are booked: {webinar.title}"

    # multipart/mixed -> [multipart/alternative -> plain, html, calendar] + invite.ics
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    calendar_part, ics_file = calendar_parts(msg)
    assert calendar_part.get_param("method") == "REQUEST"
    assert ics_file.get_filename() == "invite.ics"
    ics = calendar_part.get_content()
    assert (
        ics_file.get_content().decode() == ics
        if isinstance(ics_file.get_content(), bytes)
        else ics_file.get_content() == ics
    )

    text = alternative.get_payload()[0].get_content()
    assert "Your place is confirmed" in text
    lines = text.splitlines()
    assert "When: Tuesday 4 June 2030, 6:30pm to 7:30pm BST (UK time)" in lines
    assert lines[lines.index("Where: online") + 1] == ""  # a blank line before the next paragraph
    manage_url = re.search(r"https://webinars\.example\.org(/manage/\S+)", text).group(1)
    assert "Your registration" in client.get(manage_url).get_data(as_text=True)

    cal = Calendar.from_ical(ics)
    assert cal["METHOD"] == "REQUEST"
    (event,) = cal.walk("VEVENT")
    assert str(event["UID"]) == f"webinar-{webinar.id}@webinars.example.org"
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == datetime(2030, 6, 4, 17, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2030, 6, 4, 18, 30, tzinfo=UTC)
    assert "DTSTART:20300604T173000Z" in ics  # UTC, not a floating or zoned time
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert str(event["ORGANIZER"]) == "mailto:webinars@example.org"
    attendee = event["ATTENDEE"]
    assert not isinstance(attendee, list)  # exactly one
    assert str(attendee) == "mailto:ann@example.com"
    assert attendee.params["CN"] == "Ann Example"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "FALSE"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "Online"
    assert manage_url in str(event["DESCRIPTION"])

    # An independent parser agrees (the `ical` package) ...
    stream = ical.calendar_stream.IcsCalendarStream.from_ics(ics)
    (parsed,) = stream.calendars
    (other_event,) = parsed.events
    assert other_event.uid == f"webinar-{webinar.id}@webinars.example.org"
    assert other_event.dtstart == datetime(2030, 6, 4, 17, 30, tzinfo=UTC)
    # ... and so do libical's iTIP rules for a REQUEST.
    libical_itip_check(ics)


def test_waiting_list_email_has_no_invite(app, client, ctx, smtp):
    webinar = create_webinar(capacity=0)
    register_via(client, webinar.slug, email="wait@example.com")
    run_worker(app)
    (received,) = smtp.messages
    msg = received.message
    assert msg["Subject"].strip().startswith("You are on the waiting list")
    assert all(p.get_content_type() != "text/calendar" for p in msg.walk())
    assert "waiting list" in msg.get_body(("plain",)).get_content()


def test_cancelling_sends_a_cancel_and_the_next_person_gets_an_invite(app, client, ctx, smtp):
    webinar = create_webinar(capacity=1)
    register_via(client, webinar.slug, email="first@example.com")
    register_via(client, webinar.slug, email="next@example.com")
    run_worker(app)
    smtp.clear()
    first = db.session.scalars(
        select(Registration).where(Registration.email == "first@example.com")
    ).one()
    url = f"/manage/{tokens.manage_token(first)}/cancel"
    client.post(url, data={"csrf_token": csrf_token(client.get(url).get_data(as_text=True))})
    run_worker(app)

    (cancel_mail,) = smtp.to("first@example.com")
    calendar_part, _ = calendar_parts(cancel_mail.message)
    assert calendar_part.get_param("method") == "CANCEL"
    cal = Calendar.from_ical(calendar_part.get_content())
    assert cal["METHOD"] == "CANCEL"
    (event,) = cal.walk("VEVENT")
    assert event["SEQUENCE"] == 1 and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == f"webinar-{webinar.id}@webinars.example.org"
    assert str(event["ATTENDEE"]) == "mailto:first@example.com"
    libical_itip_check(calendar_part.get_content())

    (promoted,) = smtp.to("next@example.com")
    assert promoted.message["Subject"].strip().startswith("A place has come up")
    calendar_part, _ = calendar_parts(promoted.message)
    assert Calendar.from_ical(calendar_part.get_content())["METHOD"] == "REQUEST"


def test_an_email_whose_reason_has_gone_is_skipped(app, client, ctx, smtp):
    webinar = create_webinar()
    register_via(client, webinar.slug)
    reg = db.session.scalars(select(Registration)).one()
    registrations.cancel(reg, datetime.now(UTC))
    db.session.commit()
    report = run_worker(app)
    assert (report.sent, report.skipped) == (1, 1)
    (received,) = smtp.messages
    assert received.message["Subject"].strip().startswith("Registration cancelled")


def test_smtp_down_loses_nothing_and_each_email_arrives_once(app, client, ctx, smtp):
    webinar = create_webinar()
    app.config["MAIL_PORT"] = free_port()  # nothing listens here: connection refused
    for n in range(3):
        assert register_via(client, webinar.slug, email=f"p{n}@example.com").status_code == 303
    now = datetime.now(UTC)
    report = run_worker(app, now)
    assert (report.sent, report.retried) == (0, 3)
    db.session.expire_all()
    rows = list(db.session.scalars(select(OutboxMessage)))
    assert {(r.status, r.attempts) for r in rows} == {("queued", 1)}
    assert all(r.due_at > now for r in rows) and all(r.last_error for r in rows)

    app.config["MAIL_PORT"] = smtp.port  # the server is back
    assert run_worker(app, now).sent == 0  # not due yet: backoff is respected
    assert run_worker(app, now + timedelta(minutes=2)).sent == 3
    assert run_worker(app, now + timedelta(hours=2)).sent == 0
    ids = Counter(m.message["Message-ID"] for m in smtp.messages)
    assert len(ids) == 3 and set(ids.values()) == {1}
    assert sorted(a for m in smtp.messages for a in m.rcpt_tos) == [
        "p0@example.com",
        "p1@example.com",
        "p2@example.com",
    ]


def test_a_refused_address_fails_without_stopping_the_batch(app, client, ctx, smtp):
    webinar = create_webinar()
    smtp.handler.refuse["bounce@example.com"] = "550 5.1.1 No such user"
    smtp.handler.refuse["busy@example.com"] = "451 4.3.0 Try again later"
    for email in ("ok1@example.com", "bounce@example.com", "busy@example.com", "ok2@example.com"):
        register_via(client, webinar.slug, email=email)
    report = run_worker(app)
    assert (report.sent, report.failed, report.retried) == (2, 1, 1)
    db.session.expire_all()
    by_recipient = {r.recipient: r for r in db.session.scalars(select(OutboxMessage))}
    assert by_recipient["bounce@example.com"].status == "failed"
    assert "550" in by_recipient["bounce@example.com"].last_error
    assert by_recipient["busy@example.com"].status == "queued"
    assert by_recipient["busy@example.com"].attempts == 1
    assert sorted(a for m in smtp.messages for a in m.rcpt_tos) == [
        "ok1@example.com",
        "ok2@example.com",
    ]


def test_the_attempt_limit_marks_a_message_failed(app, client, ctx, smtp):
    app.config["OUTBOX_MAX_ATTEMPTS"] = 2
    webinar = create_webinar()
    smtp.handler.refuse["busy@example.com"] = "451 4.3.0 Try again later"
    register_via(client, webinar.slug, email="busy@example.com")
    now = datetime.now(UTC)
    run_worker(app, now)
    run_worker(app, now + timedelta(hours=1))
    db.session.expire_all()
    row = db.session.scalars(select(OutboxMessage)).one()
    assert (row.status, row.attempts) == ("failed", 2)
    assert smtp.messages == []


def test_a_dead_workers_lease_is_recovered(app, client, ctx, smtp):
    webinar = create_webinar()
    register_via(client, webinar.slug)
    now = datetime.now(UTC)
    # A worker claims the row and dies before sending.
    with app.app_context():
        claimed = worker.claim(now, "dead-worker", 10, lease_seconds=300)
    assert len(claimed) == 1
    assert run_worker(app, now + timedelta(minutes=1)).sent == 0  # still leased
    report = run_worker(app, now + timedelta(minutes=6))
    assert (report.reaped, report.sent) == (1, 1)
    assert len(smtp.messages) == 1


def test_dst_webinar_at_six_pm_on_29_march_2026_is_17z_and_shows_bst(app, client, ctx, smtp):
    starts = datetime(2026, 3, 29, 17, 0, tzinfo=UTC)  # 18:00 in London, the first day of BST
    webinar = create_webinar(starts_at=starts)
    before = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    registrations.register(
        webinar, registrations.RegistrationInput("Dana Summer", "dana@example.com"), before
    )
    db.session.commit()
    assert run_worker(app, before).sent == 1
    (received,) = smtp.messages
    calendar_part, _ = calendar_parts(received.message)
    assert "DTSTART:20260329T170000Z" in calendar_part.get_content()
    text = received.message.get_body(("plain",)).get_content()
    assert "Sunday 29 March 2026, 6:00pm to 7:00pm BST" in text
    assert "6:00pm to 7:00pm BST" in client.get(f"/webinars/{webinar.slug}").get_data(as_text=True)


def test_without_mail_server_emails_are_written_as_eml_files(app, client, ctx, smtp, caplog):
    app.config["MAIL_SERVER"] = None
    webinar = create_webinar()
    register_via(client, webinar.slug, email="dev@example.com")
    with caplog.at_level(logging.INFO):
        assert run_worker(app).sent == 1
    (path,) = Path(app.config["MAIL_FILE_DIR"]).glob("*.eml")
    assert b"dev@example.com" in path.read_bytes()
    assert any(str(path) in record.getMessage() for record in caplog.records)
    assert all("dev@example.com" not in record.getMessage() for record in caplog.records)
    assert smtp.messages == []
    shutil.rmtree(app.config["MAIL_FILE_DIR"])


def test_a_server_that_drops_the_connection_is_retried(app, client, ctx):
    """A failing SMTP server we start ourselves: it accepts, then hangs up on DATA."""

    class Dropping:
        async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
            server.transport.close()
            return "451 closing"

    failing = SMTPServer()
    failing.controller.handler = Dropping()
    failing.start()
    try:
        app.config["MAIL_PORT"] = failing.port
        webinar = create_webinar()
        register_via(client, webinar.slug, email="a@example.com")
        register_via(client, webinar.slug, email="b@example.com")
        report = run_worker(app)
        assert report.sent == 0 and report.retried >= 1
        db.session.expire_all()
        assert {r.status for r in db.session.scalars(select(OutboxMessage))} == {"queued"}
    finally:
        failing.stop()


def test_one_pass_sends_batch_after_batch(app, client, ctx, smtp):
    webinar = create_webinar(capacity=30)
    for n in range(12):
        register_via(client, webinar.slug, email=f"p{n}@example.com")
    app.config["OUTBOX_BATCH_SIZE"] = 5
    report = run_worker(app)
    assert (report.sent, report.failed) == (12, 0)
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(
        f"p{n}@example.com" for n in range(12)
    )
    calendar_part, _ = calendar_parts(smtp.messages[0].message)
    assert calendar_part.get_param("method") == "REQUEST"


def test_a_batch_is_sent_over_one_smtp_connection(app, client, ctx, smtp):
    webinar = create_webinar(capacity=40)
    for n in range(25):
        register_via(client, webinar.slug, email=f"p{n}@example.com")
    assert run_worker(app).sent == 25
    assert len(smtp.messages) == 25 and smtp.handler.sessions == 1


def test_each_invite_in_a_batch_names_only_its_own_recipient(app, client, ctx, smtp):
    """The webinar's part of the invite is built once per batch; the personal part never leaks."""
    webinar = create_webinar(capacity=10)
    people = {f"p{n}@example.com": f"Person Number {n}" for n in range(4)}
    for email, name in people.items():
        register_via(client, webinar.slug, email=email, full_name=name)
    assert run_worker(app).sent == 4

    descriptions = set()
    for received in smtp.messages:
        (recipient,) = received.rcpt_tos
        calendar_part, _ = calendar_parts(received.message)
        text = received.message.get_payload()[0].get_payload()[0].get_content()
        manage_url = re.search(r"https://\S+/manage/\S+", text).group(0)
        (event,) = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
        attendee = event["ATTENDEE"]
        assert not isinstance(attendee, list)
        assert str(attendee) == f"mailto:{recipient}"
        assert attendee.params["CN"] == people[recipient]
        assert manage_url in str(event["DESCRIPTION"])
        assert str(event["SUMMARY"]) == webinar.title
        descriptions.add(str(event["DESCRIPTION"]))
    assert len(descriptions) == 4
    libical_itip_check(calendar_parts(smtp.messages[-1].message)[0].get_content())


def test_every_kind_of_email_has_one_template_with_its_three_blocks(app):
    with app.app_context():
        for kind in EmailKind:
            template = app.jinja_env.get_template(f"emails/{kind}.html")
            assert {"subject", "text", "html"} <= set(template.blocks), kind


def test_every_email_says_it_is_not_medical_advice_who_sent_it_and_how_to_reach_them(
    client, ctx, smtp
):
    """In both the plain-text and the HTML part, whatever the kind."""
    webinar = create_webinar()
    register_via(client, webinar.slug)
    create_user("ada@example.org", admin=True)
    page = client.get("/organiser/forgot-password").get_data(as_text=True)
    client.post(
        "/organiser/forgot-password",
        data={"email": "ada@example.org", "csrf_token": csrf_token(page)},
    )
    worker.run_once()
    assert len(smtp.messages) == 2
    for received in smtp.messages:
        for kind in ("plain", "html"):
            part = received.message.get_body((kind,)).get_content()
            assert "not medical advice" in part and "NHS 111" in part and "999" in part, kind
            assert "Sent by" in part and "https://webinars.example.org/contact" in part, kind
