"""Text-message reminders: opting in on the form, one text through the durable queue to a
fake Twilio on loopback, retries, STOP by reply (signed as Twilio signs), erasure."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.links import external_url
from eventsapp.models import Registration, TextMessage, TextReminderOptIn, TextStatus, Webinar
from eventsapp.services import privacy, text_reminders, tokens
from eventsapp.services import registration as registrations
from eventsapp.texts.render import short_title
from eventsapp.texts.twilio import signature, signature_matches
from tests.fake_twilio import FakeTwilio
from tests.platform_support import run
from tests.support import (
    LiveServer,
    create_user,
    create_webinar,
    csv_rows,
    login,
    register_via,
    writing,
)

MOBILE = "+447400123456"
OTHER_MOBILE = "+447400654321"
NUMBERS = "United Kingdom: 020 3481 5240\nUnited Kingdom: 0131 460 1196"


@pytest.fixture
def twilio(any_app: Flask) -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.start()
    any_app.config.update(fake.config())
    yield fake
    fake.stop()


@pytest.fixture
def webhook(any_app: Flask) -> Iterator[str]:
    """Where Twilio's inbound posts reach this app (the app served on loopback)."""
    with LiveServer(any_app) as server:
        yield f"{server.url}/webhooks/twilio/sms"


def _webinar(slug: str, starts_at: datetime, **extra: object) -> int:
    return create_webinar(
        slug=slug,
        starts_at=starts_at,
        dial_in_numbers=NUMBERS,
        dial_in_meeting_id="812 3456 7890",
        **extra,
    ).id


def _register(webinar_id: int, email: str, phone: str | None, now: datetime) -> int:
    with writing():
        webinar = db.session.get(Webinar, webinar_id)
        assert webinar is not None
        data = registrations.RegistrationInput("Ann Example", email, text_reminder_phone=phone)
        return registrations.register(webinar, data, now).registration_id


def _texts(**where: object) -> list[TextMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(TextMessage).filter_by(**where).order_by(TextMessage.id)))


def _opt_in(registration_id: int) -> TextReminderOptIn | None:
    db.session.rollback()
    return db.session.scalar(
        select(TextReminderOptIn).where(TextReminderOptIn.registration_id == registration_id)
    )


def test_an_sms_reminder_reaches_the_provider_once_and_stop_stops_the_next(
    any_ctx, twilio, webhook, smtp
):
    now = datetime.now(UTC)
    first = now + timedelta(hours=3)
    second = now + timedelta(days=2)
    tonight = _webinar("tonight", first)
    later = _webinar("later", second)
    ann = _register(tonight, "ann@example.com", MOBILE, now)
    _register(later, "ann@example.com", MOBILE, now)

    run(any_ctx, first - timedelta(hours=2))
    assert twilio.sent == []  # not yet: an hour before

    report = run(any_ctx, first - timedelta(minutes=59))
    assert report.texts == 1
    assert [s.to for s in twilio.sent] == [MOBILE]
    body = twilio.sent[0].body
    registration = db.session.get(Registration, ann)
    join = external_url("public.join", token=tokens.join_token(registration))
    assert join in body
    assert "Or call 020 3481 5240, ID 812 3456 7890." in body
    assert body.startswith("Reminder: Cannabis medicines and chronic back pain starts today at")
    assert body.endswith("Reply STOP to stop texts.")
    assert body.isascii()  # GSM-7: one curly quote would halve what a part holds
    [text] = _texts(registration_id=ann)
    assert (text.status, text.attempts) == (TextStatus.SENT, 1)
    assert text.provider_message_id == twilio.sent[0].sid

    run(any_ctx, first - timedelta(minutes=58))
    run(any_ctx, first - timedelta(minutes=30))
    assert len(twilio.sent) == 1  # once

    answer = twilio.reply(webhook, MOBILE, " stop ")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert answer.text == '<?xml version="1.0" encoding="UTF-8"?><Response/>'

    run(any_ctx, second - timedelta(minutes=59))
    run(any_ctx, second - timedelta(minutes=10))
    assert len(twilio.to(MOBILE)) == 1  # the second webinar sent them nothing
    assert _texts(webinar_id=later) == []
    assert (
        db.session.scalar(select(func.count()).where(TextReminderOptIn.stopped_at.is_(None))) == 0
    )


def test_a_forged_stop_changes_nothing(any_ctx, twilio, webhook, smtp):
    now = datetime.now(UTC)
    webinar = _webinar("tonight", now + timedelta(hours=3))
    ann = _register(webinar, "ann@example.com", MOBILE, now)

    wrong_key = twilio.reply(webhook, MOBILE, "STOP", auth_token="not-the-token")
    unsigned = twilio.reply(webhook, MOBILE, "STOP", signature="")
    someone_else = twilio.reply(webhook, MOBILE, "STOP", signed_sender=OTHER_MOBILE)
    # Signed for the address it reached (the Host header), not the one Twilio is given.
    by_host = twilio.reply(webhook, MOBILE, "STOP", signed_url=webhook)
    assert [r.status_code for r in (wrong_key, unsigned, someone_else, by_host)] == [403] * 4
    opt_in = _opt_in(ann)
    assert opt_in is not None and opt_in.stopped_at is None

    run(any_ctx, now + timedelta(hours=2, minutes=1))
    assert [s.to for s in twilio.sent] == [MOBILE]


def test_start_resumes_texts_after_stop(any_ctx, twilio, webhook, smtp):
    now = datetime.now(UTC)
    webinar = _webinar("tonight", now + timedelta(hours=3))
    ann = _register(webinar, "ann@example.com", MOBILE, now)
    assert twilio.reply(webhook, MOBILE, "Stop").status_code == 200
    assert _opt_in(ann).stopped_at is not None  # type: ignore[union-attr]
    assert twilio.reply(webhook, MOBILE, "START").status_code == 200
    assert _opt_in(ann).stopped_at is None  # type: ignore[union-attr]
    assert twilio.reply(webhook, MOBILE, "Thanks!").status_code == 200
    assert _opt_in(ann).stopped_at is None  # type: ignore[union-attr]


def test_a_transient_failure_is_retried_later_and_delivered_once(any_ctx, twilio, smtp):
    now = datetime.now(UTC)
    starts = now + timedelta(hours=3)
    webinar = _webinar("tonight", starts)
    _register(webinar, "ann@example.com", MOBILE, now)
    due = starts - timedelta(minutes=59)

    twilio.fail(500)
    run(any_ctx, due)
    [text] = _texts()
    assert (text.status, text.attempts, text.last_error) == (
        TextStatus.QUEUED,
        1,
        "Twilio: HTTP 500 code 20500",
    )
    assert twilio.sent == []

    twilio.fail(429, retry_after=300)
    run(any_ctx, due + timedelta(minutes=1, seconds=1))  # the backoff: one minute
    [text] = _texts()
    assert (text.status, text.attempts) == (TextStatus.QUEUED, 2)
    assert text.due_at >= due + timedelta(minutes=6)  # Retry-After honoured
    run(any_ctx, due + timedelta(minutes=4))
    assert twilio.sent == [] and twilio.attempts == 2  # not asked again before then

    run(any_ctx, due + timedelta(minutes=7))
    run(any_ctx, due + timedelta(minutes=20))
    assert [s.to for s in twilio.sent] == [MOBILE]
    [text] = _texts()
    assert (text.status, text.attempts, text.last_error) == (TextStatus.SENT, 3, None)


def test_a_permanent_failure_is_recorded_and_not_retried(any_ctx, twilio, smtp):
    now = datetime.now(UTC)
    starts = now + timedelta(hours=3)
    webinar = _webinar("tonight", starts)
    _register(webinar, "ann@example.com", MOBILE, now)
    twilio.fail(400, code=21211)  # "Invalid 'To' Phone Number"
    run(any_ctx, starts - timedelta(minutes=59))
    run(any_ctx, starts - timedelta(minutes=30))
    [text] = _texts()
    assert (text.status, text.attempts, text.last_error) == (
        TextStatus.FAILED,
        1,
        "Twilio: HTTP 400 code 21211",
    )
    assert twilio.attempts == 1
    counts = text_reminders.counts(webinar)
    assert (counts.asked, counts.sent, counts.failed) == (1, 0, 1)


def test_twilio_saying_they_replied_stop_stops_their_texts(any_ctx, twilio, smtp):
    """Twilio refuses (21610) a number that replied STOP even if our webhook never heard."""
    now = datetime.now(UTC)
    first, second = now + timedelta(hours=3), now + timedelta(days=2)
    tonight, later = _webinar("tonight", first), _webinar("later", second)
    _register(tonight, "ann@example.com", MOBILE, now)
    _register(later, "ann@example.com", MOBILE, now)
    twilio.opted_out.add(MOBILE)
    run(any_ctx, first - timedelta(minutes=59))
    [text] = _texts()
    assert (text.status, text.last_error) == (TextStatus.FAILED, "Twilio: HTTP 400 code 21610")
    run(any_ctx, second - timedelta(minutes=59))
    assert twilio.attempts == 1 and len(_texts()) == 1


def test_texts_follow_a_moved_webinar_and_skip_those_who_gave_up_their_place(any_ctx, twilio, smtp):
    now = datetime.now(UTC)
    starts = now + timedelta(hours=3)
    webinar_id = _webinar("tonight", starts)
    ann = _register(webinar_id, "ann@example.com", MOBILE, now)
    bob = _register(webinar_id, "bob@example.com", OTHER_MOBILE, now)
    _register(webinar_id, "cy@example.com", None, now)  # did not ask for one
    due = starts - timedelta(minutes=59)
    # Planned, then the provider is down, so they wait in the queue …
    twilio.fail(503)
    run(any_ctx, due)
    assert len(_texts()) == 2
    # … meanwhile Bob cancels and the webinar moves an hour later.
    with writing():
        registrations.cancel(db.session.get(Registration, bob), now)
        webinar = db.session.get(Webinar, webinar_id)
        webinar.starts_at = starts + timedelta(hours=1)
    run(any_ctx, due + timedelta(minutes=2))
    assert twilio.sent == []  # the old time's texts are skipped
    assert {t.status for t in _texts()} == {TextStatus.SKIPPED}
    run(any_ctx, starts + timedelta(minutes=2))
    assert [s.to for s in twilio.sent] == [MOBILE]
    assert "starts today at" in twilio.sent[0].body
    [sent] = _texts(status=TextStatus.SENT)
    assert sent.registration_id == ann


def test_nothing_waits_unsent_for_a_webinar_that_began(any_ctx, twilio, smtp):
    now = datetime.now(UTC)
    starts = now + timedelta(hours=3)
    webinar_id = _webinar("tonight", starts)
    _register(webinar_id, "ann@example.com", MOBILE, now)
    twilio.fail(500)
    run(any_ctx, starts - timedelta(minutes=59))
    run(any_ctx, starts + timedelta(minutes=1))
    assert twilio.sent == [] and [t.status for t in _texts()] == [TextStatus.SKIPPED]


def test_without_twilio_settings_texts_wait_in_the_queue(any_ctx, smtp, caplog):
    now = datetime.now(UTC)
    starts = now + timedelta(hours=3)
    webinar_id = _webinar("tonight", starts)
    _register(webinar_id, "ann@example.com", MOBILE, now)
    run(any_ctx, starts - timedelta(minutes=59))
    assert [t.status for t in _texts()] == [TextStatus.QUEUED]
    assert "text messages are waiting: TWILIO_ACCOUNT_SID is not set" in caplog.text
    assert MOBILE not in caplog.text


def test_in_development_texts_are_written_to_files(any_ctx, smtp, tmp_path):
    any_ctx.config.update(APP_ENV="development", INSTANCE_DIR=str(tmp_path))
    now = datetime.now(UTC)
    starts = now + timedelta(hours=3)
    _register(_webinar("tonight", starts), "ann@example.com", MOBILE, now)
    assert run(any_ctx, starts - timedelta(minutes=59)).texts == 1
    [written] = list((tmp_path / "texts").glob("*.txt"))
    assert written.read_text().startswith(f"To: {MOBILE}\n\nReminder: ")


def test_erasure_removes_the_number(any_ctx, twilio, smtp):
    now = datetime.now(UTC)
    starts = now + timedelta(hours=3)
    ann = _register(_webinar("tonight", starts), "ann@example.com", MOBILE, now)
    with writing():
        export = privacy.export([db.session.get(Registration, ann)])
        assert export["registrations"][0]["text_reminder_opt_ins"] == [{"mobile_number": MOBILE}]
        privacy.erase(db.session.get(Registration, ann), now)
    assert _opt_in(ann) is None
    assert db.session.scalar(select(func.count()).select_from(TextReminderOptIn)) == 0
    run(any_ctx, starts - timedelta(minutes=59))
    assert twilio.sent == [] and _texts() == []


def test_registering_again_after_cancelling_replaces_the_number(any_ctx, smtp):
    now = datetime.now(UTC)
    webinar_id = _webinar("tonight", now + timedelta(days=3))
    ann = _register(webinar_id, "ann@example.com", MOBILE, now)
    # Registered already: nothing changes (the savepoint is rolled back).
    assert _register(webinar_id, "ann@example.com", OTHER_MOBILE, now) == ann
    assert _opt_in(ann).phone == MOBILE  # type: ignore[union-attr]
    with writing():
        registrations.cancel(db.session.get(Registration, ann), now)
    _register(webinar_id, "ann@example.com", OTHER_MOBILE, now)
    assert _opt_in(ann).phone == OTHER_MOBILE  # type: ignore[union-attr]
    with writing():
        registrations.cancel(db.session.get(Registration, ann), now)
    _register(webinar_id, "ann@example.com", None, now)
    assert _opt_in(ann) is None


# --- the form -------------------------------------------------------------------------------


def _count(model: type) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a UK mobile number, like 07700 900123"),
        ("07400 CALLME", "Enter a UK mobile number, like 07700 900123"),
        ("0740012345", "Enter a UK mobile number, like 07700 900123"),
        ("020 7946 0958", "Enter a UK mobile number, like 07700 900123. We cannot text a landline"),
        (
            "+33 6 12 34 56 78",
            "Enter a UK mobile number, like 07700 900123. We can only text UK mobile numbers",
        ),
    ],
)
def test_a_number_that_cannot_be_texted_is_refused_and_nothing_saved(ctx, typed, message):
    client = ctx.test_client()
    create_webinar()
    response = register_via(client, "back-pain-panel", text_reminder="y", mobile=typed)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert 'href="#mobile"' in page  # the error summary leads to the field
    assert _count(Registration) == 0 and _count(TextReminderOptIn) == 0


def test_a_number_without_the_box_ticked_is_ignored(ctx):
    """Ticking the box is the choice; a number typed and the box left clear is not kept."""
    client = ctx.test_client()
    create_webinar()
    response = register_via(client, "back-pain-panel", mobile="07400 123456")
    assert response.status_code == 303
    assert _count(Registration) == 1 and _count(TextReminderOptIn) == 0


def test_ticking_the_box_with_a_uk_mobile_saves_it_in_international_form(ctx):
    client = ctx.test_client()
    create_webinar()
    response = register_via(client, "back-pain-panel", text_reminder="y", mobile="07400 123 456")
    assert response.status_code == 303
    [opt_in] = db.session.scalars(select(TextReminderOptIn)).all()
    assert opt_in.phone == MOBILE


def test_the_form_offers_a_text_reminder(ctx):
    create_webinar()
    page = ctx.test_client().get("/webinars/back-pain-panel").get_data(as_text=True)
    assert "Send me a text reminder" in page
    assert 'autocomplete="tel"' in page and 'type="tel"' in page


def test_organisers_see_how_many_asked_and_what_was_sent(any_ctx, twilio, webhook, smtp):
    now = datetime.now(UTC)
    starts = now + timedelta(hours=3)
    webinar_id = _webinar("tonight", starts)
    _register(webinar_id, "ann@example.com", MOBILE, now)
    _register(webinar_id, "bob@example.com", OTHER_MOBILE, now)
    _register(webinar_id, "cy@example.com", None, now)
    client = any_ctx.test_client()
    create_user("olive@clinic.example.org")
    login(client, "olive@clinic.example.org")
    page = client.get(f"/organiser/webinars/{webinar_id}").get_data(as_text=True)
    assert "Text reminders: 2 people asked for one." in page

    twilio.reply(webhook, OTHER_MOBILE, "STOP")
    run(any_ctx, starts - timedelta(minutes=59))
    page = client.get(f"/organiser/webinars/{webinar_id}").get_data(as_text=True)
    assert "Text reminders: 1 person asked for one (1 replied STOP). 1 sent, 0 failed." in page
    assert MOBILE not in page and "7400" not in page

    rows = csv_rows(client.get(f"/organiser/webinars/{webinar_id}/registrants.csv"))
    column = rows[0].index("Text reminder")
    assert {row[1]: row[column] for row in rows[1:]} == {
        "ann@example.com": "yes",
        "bob@example.com": "no",  # replied STOP
        "cy@example.com": "no",
    }


def test_the_signature_is_twilios_own_worked_example():
    """The example in Twilio's request-validation documentation (twilio-php's docs/usage/
    validation.rst): auth token 12345, this URL and these POST fields."""
    params = [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ]
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    assert signature_matches("12345", url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not signature_matches("12345", url, params[:-1], "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
    assert not signature_matches(None, url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


def test_the_text_is_short_plain_and_gsm_7():
    assert short_title("Cannabis medicines and chronic back pain: a panel") == (
        "Cannabis medicines and chronic back pain"
    )
    assert short_title("Living well with “long” pain – what helps, what doesn’t, and why") == (
        'Living well with "long" pain - what...'
    )
