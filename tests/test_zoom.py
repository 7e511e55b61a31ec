"""Zoom: registrants added and cancelled, moves and cancellations, the attendance report,
all through the durable queue of platform calls, against a fake Zoom on loopback."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from eventsapp import uktime
from eventsapp.extensions import db
from eventsapp.models import (
    Attendance,
    PlatformJobKind,
    PlatformJobStatus,
    Registration,
    Webinar,
)
from eventsapp.services import registration as registrations
from eventsapp.services import tokens
from tests.fake_zoom import FakeZoom
from tests.platform_support import jobs, person, run, serving
from tests.support import (
    create_user,
    create_webinar,
    csrf_token,
    edit_form,
    login,
    post,
    register_via,
    writing,
)

ZOOM_ID = "81234567890"
GENERAL = "https://zoom.example/w/81234567890?general=1"


@pytest.fixture
def zoom(any_app: Flask) -> Iterator[FakeZoom]:
    yield from serving(FakeZoom(), any_app)


def _linked_webinar(**extra: object) -> int:
    extra.setdefault("starts_at", datetime.now(UTC) + timedelta(minutes=10))  # doors open
    return create_webinar(join_url=GENERAL, zoom_webinar_id=ZOOM_ID, **extra).id


def test_a_registration_is_added_on_zoom_once_and_their_join_link_takes_them_there(
    any_ctx, zoom, smtp
):
    zoom.webinar(ZOOM_ID, approval_type=1)  # registrants need approving there
    _linked_webinar()
    client = any_ctx.test_client()

    assert register_via(client, "back-pain-panel", full_name="Ann Mary Example").status_code == 303
    assert zoom.calls == []  # the registration did not wait for Zoom
    ann = person("ann@example.com")
    join = f"/join/{tokens.join_token(ann)}"
    # Before Zoom has registered her, the general link.
    assert client.get(join).headers["Location"] == GENERAL

    run(any_ctx)
    (added,) = zoom.registrants[ZOOM_ID]
    assert (added["email"], added["first_name"], added["last_name"]) == (
        "ann@example.com",
        "Ann",
        "Mary Example",
    )
    assert added["status"] == "approved"
    assert client.get(join).headers["Location"] == added["join_url"]
    # Her Zoom link is in no email and on no page of hers.
    manage = client.get(f"/manage/{tokens.manage_token(ann)}").get_data(as_text=True)
    assert added["join_url"] not in manage
    assert all(added["join_url"].encode() not in m.raw for m in smtp.messages)
    assert added["id"] not in manage

    run(any_ctx)  # again: nothing more
    assert len(zoom.made("POST", "/registrants")) == 1
    assert [j.status for j in jobs()] == [PlatformJobStatus.DONE]


def test_cancelling_cancels_the_registrant_and_the_person_promoted_is_added(any_ctx, zoom, smtp):
    zoom.webinar(ZOOM_ID)
    _linked_webinar(capacity=1)
    client = any_ctx.test_client()
    register_via(client, "back-pain-panel")
    register_via(client, "back-pain-panel", full_name="Bob Waiting", email="bob@example.com")
    run(any_ctx)
    (ann_there,) = zoom.registrants[ZOOM_ID]  # Bob is waiting: not on Zoom

    manage = f"/manage/{tokens.manage_token(person('ann@example.com'))}"
    confirm = client.get(f"{manage}/cancel").get_data(as_text=True)
    client.post(f"{manage}/cancel", data={"csrf_token": csrf_token(confirm)})
    run(any_ctx)

    (cancel,) = zoom.made("PUT", "/registrants/status")
    assert cancel.body == {"action": "cancel", "registrants": [{"id": ann_there["id"]}]}
    statuses = {r["email"]: r["status"] for r in zoom.registrants[ZOOM_ID]}
    assert statuses == {"ann@example.com": "cancelled", "bob@example.com": "approved"}
    ann, bob = person("ann@example.com"), person("bob@example.com")
    assert (ann.zoom_registrant_id, ann.zoom_join_url) == (None, None)
    assert bob.zoom_join_url and bob.zoom_join_url.endswith(bob.zoom_registrant_id or "-")


def test_zoom_down_for_a_burst_of_200_then_each_is_added_exactly_once(any_ctx, zoom, smtp):
    zoom.webinar(ZOOM_ID)
    webinar_id = _linked_webinar(capacity=500)
    zoom.down = True
    now = datetime.now(UTC)
    with writing():
        webinar = db.session.get(Webinar, webinar_id)
        for n in range(200):
            registrations.register(
                webinar, registrations.RegistrationInput(f"Person {n}", f"p{n}@example.com"), now
            )
    run(any_ctx)
    assert zoom.registrants[ZOOM_ID] == []
    assert Counter(j.status for j in jobs()) == {PlatformJobStatus.QUEUED: 200}

    zoom.down = False
    run(any_ctx, datetime.now(UTC) + timedelta(hours=2))  # past the first one's backoff
    emails = Counter(r["email"] for r in zoom.registrants[ZOOM_ID])
    assert len(emails) == 200 and set(emails.values()) == {1}
    assert Counter(j.status for j in jobs(PlatformJobKind.ADD_REGISTRANT)) == {
        PlatformJobStatus.DONE: 200
    }
    assert all(person(f"p{n}@example.com").zoom_join_url for n in (0, 99, 199))


def test_a_429_makes_the_call_wait_at_least_as_long_as_zoom_asks(any_ctx, zoom, smtp):
    zoom.webinar(ZOOM_ID)
    _linked_webinar()
    client = any_ctx.test_client()
    register_via(client, "back-pain-panel")
    zoom.rate_limited, zoom.retry_after = 1, 120
    before = datetime.now(UTC)
    run(any_ctx)
    (job,) = jobs()
    assert job.status == PlatformJobStatus.QUEUED and job.attempts == 0
    assert job.due_at >= before + timedelta(seconds=120)
    assert job.last_error == "add registrant: HTTP 429 code 429"
    run(any_ctx)  # not due yet: no call
    assert len(zoom.made("POST", "/registrants")) == 1 and zoom.registrants[ZOOM_ID] == []
    run(any_ctx, job.due_at + timedelta(seconds=1))
    assert len(zoom.registrants[ZOOM_ID]) == 1


def test_an_expired_token_is_renewed_once(any_ctx, zoom, smtp):
    zoom.webinar(ZOOM_ID)
    _linked_webinar()
    register_via(any_ctx.test_client(), "back-pain-panel")
    run(any_ctx)  # first token
    register_via(any_ctx.test_client(), "back-pain-panel", email="bob@example.com")
    zoom.revoke_token = True
    run(any_ctx)
    assert zoom.tokens_issued == 2 and len(zoom.registrants[ZOOM_ID]) == 2


def _zoom_line(page: str) -> str:
    found = re.search(r"Zoom: \d+ calls? waiting / \d+ failed", page)
    assert found, "no Zoom line on the page"
    return found.group(0)


def test_a_failed_call_is_shown_to_organisers_and_can_be_retried(any_ctx, zoom, smtp):
    webinar_id = _linked_webinar()  # not on Zoom (yet): a 404, which is not retried
    client = any_ctx.test_client()
    register_via(client, "back-pain-panel")
    run(any_ctx)
    (job,) = jobs()
    assert job.status == PlatformJobStatus.FAILED
    assert job.last_error == "add registrant: HTTP 404 code 3001"
    organiser = any_ctx.test_client()
    create_user("colin@clinic.example")
    login(organiser, "colin@clinic.example")
    page = f"/organiser/webinars/{webinar_id}"
    assert _zoom_line(organiser.get(page).get_data(as_text=True)) == (
        "Zoom: 0 calls waiting / 1 failed"
    )

    zoom.webinar(ZOOM_ID)  # the organiser fixes it on Zoom, then retries
    post(organiser, f"{page}/zoom/retry")
    assert _zoom_line(organiser.get(page).get_data(as_text=True)) == (
        "Zoom: 1 call waiting / 0 failed"
    )
    run(any_ctx)
    assert len(zoom.registrants[ZOOM_ID]) == 1
    shown = organiser.get(page).get_data(as_text=True)
    assert _zoom_line(shown) == "Zoom: 0 calls waiting / 0 failed"
    assert "Retry the failed Zoom calls" not in shown


def test_linking_moving_and_cancelling_follow_on_zoom(any_ctx, zoom, smtp):
    zoom.webinar(ZOOM_ID)
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    webinar_id = create_webinar(starts_at=starts).id  # not linked yet
    client = any_ctx.test_client()
    register_via(client, "back-pain-panel")
    run(any_ctx)
    assert zoom.calls == []
    organiser = any_ctx.test_client()
    create_user("colin@clinic.example")
    login(organiser, "colin@clinic.example")
    edit = f"/organiser/webinars/{webinar_id}/edit"
    refused = post(organiser, edit, **edit_form(_webinar(webinar_id), zoom_webinar_id="8123x"))
    assert refused.status_code == 400

    # Linked (pasted as Zoom shows it): the people with a place are added.
    post(organiser, edit, **edit_form(_webinar(webinar_id), zoom_webinar_id="812 3456 7890"))
    assert _webinar(webinar_id).zoom_webinar_id == ZOOM_ID
    run(any_ctx)
    assert [r["email"] for r in zoom.registrants[ZOOM_ID]] == ["ann@example.com"]

    moved = starts + timedelta(hours=2)
    local = uktime.to_uk(moved)
    post(organiser, edit, **edit_form(_webinar(webinar_id), start_time=local.strftime("%H:%M")))
    run(any_ctx)
    assert zoom.webinars[ZOOM_ID]["start_time"] == moved.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert zoom.webinars[ZOOM_ID]["duration"] == 60
    patches = len(zoom.made("PATCH", ZOOM_ID))

    cancel = f"/organiser/webinars/{webinar_id}/cancel"
    post(organiser, cancel, message="The panel is unwell; we will run it in the spring.")
    run(any_ctx)
    run(any_ctx)
    assert ZOOM_ID not in zoom.webinars and len(zoom.made("DELETE", ZOOM_ID)) == 1
    assert len(zoom.made("PATCH", ZOOM_ID)) == patches


def _webinar(webinar_id: int) -> Webinar:
    db.session.rollback()
    webinar = db.session.get(Webinar, webinar_id)
    assert webinar is not None
    return webinar


def test_attendance_fetched_after_the_end_gives_certificates_and_thank_yous(any_ctx, zoom, smtp):
    zoom.webinar(ZOOM_ID)
    now = datetime.now(UTC)
    webinar_id = create_webinar(
        slug="done",
        starts_at=(now - timedelta(hours=3)).replace(second=0, microsecond=0),
        zoom_webinar_id=ZOOM_ID,
        recording_url="https://video.example.org/rec/1",
    ).id
    with writing():
        webinar = db.session.get(Webinar, webinar_id)
        for name, email, audience in [
            ("Dr Nia Jones", "nia@example.com", "healthcare_professional"),
            ("Dr Short Stay", "short@example.com", "healthcare_professional"),
            ("Pat Patient", "pat@example.com", "living_with_pain"),
        ]:
            registrations.register(
                webinar,
                registrations.RegistrationInput(name, email, audience=audience),
                now - timedelta(days=2),
            )
    run(any_ctx)  # registrants added; the report is not ready yet (Zoom: 404)
    (fetch,) = jobs(PlatformJobKind.FETCH_ATTENDANCE)
    assert fetch.status == PlatformJobStatus.QUEUED and fetch.attempts == 1
    ids = {r["email"]: r["id"] for r in zoom.registrants[ZOOM_ID]}

    def stay(name: str, email: str, registrant: str, seconds: int) -> dict[str, object]:
        return {
            "id": "p",
            "name": name,
            "user_email": email,
            "registrant_id": registrant,
            "duration": seconds,
        }

    zoom.participants[ZOOM_ID] = [
        stay("Nia (phone)", "", ids["nia@example.com"], 30 * 60),  # found by registrant id
        stay("Nia Jones", "nia.other@example.net", ids["nia@example.com"], 25 * 60 + 10),
        stay("Dr Short Stay", "short@example.com", ids["short@example.com"], 4 * 60),
        stay("Pat", "PAT@Example.com", "", 60 * 60),  # joined without the link: by email
        stay("A guest", "guest@example.org", "", 50 * 60),
    ]
    zoom.page_limit = 2  # Zoom's pages: followed to the end
    run(any_ctx, now + timedelta(minutes=5))
    minutes = {
        reg.email: record.minutes
        for reg, record in db.session.execute(
            select(Registration, Attendance).join(
                Attendance, Attendance.registration_id == Registration.id
            )
        )
    }
    assert minutes == {"nia@example.com": 55, "short@example.com": 4, "pat@example.com": 60}
    pages = zoom.made("GET", "/participants")
    assert [c.params.get("next_page_token", "") for c in pages[1:]] == ["", "2", "4"]
    assert all(c.params["page_size"] == "300" for c in pages)
    run(any_ctx, now + timedelta(hours=1))  # once per webinar
    assert len(zoom.made("GET", "/participants")) == len(pages)

    # As after a CSV import: the certificate, and the follow-ups by attendance.
    nia = person("nia@example.com")
    client = any_ctx.test_client()
    assert "You attended for 55 minutes" in client.get(
        f"/manage/{tokens.manage_token(nia)}"
    ).get_data(as_text=True)
    assert client.get(f"/manage/{tokens.manage_token(nia)}/certificate.pdf").status_code == 200
    organiser = any_ctx.test_client()
    create_user("colin@clinic.example")
    login(organiser, "colin@clinic.example")
    post(organiser, f"/organiser/webinars/{webinar_id}/attendance/final")
    post(organiser, f"/organiser/webinars/{webinar_id}/follow-ups")
    smtp.clear()
    assert run(any_ctx).sent == 3
    subjects = {m.rcpt_tos[0]: m.message["Subject"].strip() for m in smtp.messages}
    assert subjects["nia@example.com"].startswith("Thank you for joining us")
    assert subjects["pat@example.com"].startswith("Thank you for joining us")
    assert subjects["short@example.com"].startswith("Sorry we missed you")


def _organiser(app: Flask) -> FlaskClient:
    organiser = app.test_client()
    create_user("colin@clinic.example")
    login(organiser, "colin@clinic.example")
    return organiser


def _zoom_status(organiser: FlaskClient, webinar_id: int) -> str:
    page = organiser.get(f"/organiser/webinars/{webinar_id}").get_data(as_text=True)
    found = re.search(r'<p id="zoom-status">(.*?)</p>', page, re.S)
    assert found, "no Zoom status on the page"
    return html.unescape(found.group(1)).strip()


def test_a_linked_id_is_read_back_and_its_status_shown_in_words(any_ctx, zoom, smtp):
    zoom.webinar(
        ZOOM_ID, approval_type=1, topic="Back pain panel", start_time="2026-12-01T18:00:00Z"
    )
    zoom.webinar("89876543210", approval_type=2)  # registration turned off there
    webinar_id = create_webinar().id
    organiser = _organiser(any_ctx)
    edit = f"/organiser/webinars/{webinar_id}/edit"

    post(organiser, edit, **edit_form(_webinar(webinar_id), zoom_webinar_id=ZOOM_ID))
    assert _zoom_status(organiser, webinar_id) == "Not checked yet"
    post(organiser, edit, **edit_form(_webinar(webinar_id)))  # saved again, same ID
    run(any_ctx)
    when = uktime.format_datetime(datetime(2026, 12, 1, 18, 0, tzinfo=UTC))
    assert _zoom_status(organiser, webinar_id) == (
        f"Linked: Zoom webinar “Back pain panel”, {when}, registration required"
    )
    assert len(zoom.made("GET", f"/webinars/{ZOOM_ID}")) == 1  # once per ID set
    run(any_ctx)
    assert len(zoom.made("GET", f"/webinars/{ZOOM_ID}")) == 1

    post(organiser, edit, **edit_form(_webinar(webinar_id), zoom_webinar_id="81111111111"))
    run(any_ctx)
    assert _zoom_status(organiser, webinar_id) == (
        "Zoom has no webinar with this ID: check the number"
    )
    (checked,) = jobs(PlatformJobKind.CHECK_WEBINAR)[-1:]
    assert checked.status == PlatformJobStatus.DONE  # an answer, not a failed call

    post(organiser, edit, **edit_form(_webinar(webinar_id), zoom_webinar_id="89876543210"))
    run(any_ctx)
    assert _zoom_status(organiser, webinar_id) == (
        "Zoom's webinar does not require registration: people could join without "
        "registering here — turn on registration in Zoom"
    )


def test_a_check_that_meets_zoom_down_waits_and_tries_again(any_ctx, zoom, smtp):
    zoom.webinar(ZOOM_ID)
    webinar_id = create_webinar().id
    organiser = _organiser(any_ctx)
    post(
        organiser,
        f"/organiser/webinars/{webinar_id}/edit",
        **edit_form(_webinar(webinar_id), zoom_webinar_id=ZOOM_ID),
    )
    zoom.down = True
    run(any_ctx)
    (check,) = jobs(PlatformJobKind.CHECK_WEBINAR)
    assert check.status == PlatformJobStatus.QUEUED and check.attempts == 1
    assert _zoom_status(organiser, webinar_id) == "Not checked yet"
    zoom.down = False
    run(any_ctx, datetime.now(UTC) + timedelta(minutes=5))
    assert _zoom_status(organiser, webinar_id).startswith("Linked: Zoom webinar “")


def test_the_create_button_makes_one_zoom_webinar_and_adds_everyone(any_ctx, zoom, smtp):
    starts = (datetime.now(UTC) + timedelta(days=5)).replace(second=0, microsecond=0)
    webinar_id = create_webinar(capacity=1, starts_at=starts, duration_minutes=90).id
    client = any_ctx.test_client()
    register_via(client, "back-pain-panel")
    register_via(client, "back-pain-panel", full_name="Bob Waiting", email="bob@example.com")
    organiser = _organiser(any_ctx)
    page = f"/organiser/webinars/{webinar_id}"
    assert "Create a Zoom webinar for this" in organiser.get(page).get_data(as_text=True)

    post(organiser, f"{page}/zoom/create")
    post(organiser, f"{page}/zoom/create")  # pressed twice
    assert "Create a Zoom webinar for this" not in organiser.get(page).get_data(as_text=True)
    run(any_ctx)
    run(any_ctx)

    (created,) = zoom.made("POST", "/users/me/webinars")
    webinar = _webinar(webinar_id)
    assert created.body == {
        "topic": webinar.title,
        "type": 5,
        "start_time": starts.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": 90,
        "timezone": "Europe/London",
        "agenda": webinar.summary,
        "settings": {
            "approval_type": 1,
            "registration_type": 1,
            "registrants_confirmation_email": False,
            "registrants_email_notification": False,
        },
    }
    zoom_id = webinar.zoom_webinar_id
    assert zoom_id and zoom_id in zoom.webinars
    # Ann has a place (Bob is waiting): she is added there, and approved.
    assert [(r["email"], r["status"]) for r in zoom.registrants[zoom_id]] == [
        ("ann@example.com", "approved")
    ]
    assert person("ann@example.com").zoom_registrant_id
    assert _zoom_status(organiser, webinar_id).startswith("Linked: Zoom webinar “")
    shown = organiser.get(page).get_data(as_text=True)
    assert "Create a Zoom webinar for this" not in shown
    post(organiser, f"{page}/zoom/create")  # linked now: nothing more
    run(any_ctx)
    assert len(zoom.made("POST", "/users/me/webinars")) == 1


def test_no_create_button_without_zoom_set_up_or_once_linked(any_ctx, smtp):
    webinar_id = create_webinar().id
    organiser = _organiser(any_ctx)
    page = f"/organiser/webinars/{webinar_id}"
    assert "Create a Zoom webinar for this" not in organiser.get(page).get_data(as_text=True)
    post(organiser, f"{page}/zoom/create")
    assert jobs(PlatformJobKind.CREATE_WEBINAR) == []
