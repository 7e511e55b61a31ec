"""Teams: registrations created and cancelled on a Teams webinar (Microsoft Graph virtual
events) and its attendance report, through the same durable queue of platform calls as Zoom,
against a fake Graph on loopback."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import (
    Attendance,
    AttendanceSource,
    Platform,
    PlatformJobKind,
    PlatformJobStatus,
    Registration,
    Webinar,
)
from eventsapp.services import registration as registrations
from eventsapp.services import tokens
from tests.fake_graph import CLIENT_ID, CLIENT_SECRET, SCOPE, FakeGraph
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

TEAMS_ID = "88b245ac-b0b2-f1aa-e34a-c81c27abdac2@f9448ec4-804b-46af-b810-62085248da33"
GENERAL = "https://teams.example/l/meetup-join/general"


@pytest.fixture
def graph(any_app: Flask) -> Iterator[FakeGraph]:
    yield from serving(FakeGraph(), any_app)


def _linked_webinar(**extra: object) -> int:
    extra.setdefault("starts_at", datetime.now(UTC) + timedelta(minutes=10))  # doors open
    return create_webinar(join_url=GENERAL, teams_webinar_id=TEAMS_ID, **extra).id


def _webinar(webinar_id: int) -> Webinar:
    db.session.rollback()
    webinar = db.session.get(Webinar, webinar_id)
    assert webinar is not None
    return webinar


def test_a_registration_is_created_on_teams_once_and_their_join_link_takes_them_there(
    any_ctx, graph, smtp
):
    graph.webinar(TEAMS_ID)
    _linked_webinar()
    client = any_ctx.test_client()

    assert register_via(client, "back-pain-panel", full_name="Ann Mary Example").status_code == 303
    assert graph.calls == []  # the registration did not wait for Teams
    ann = person("ann@example.com")
    join = f"/join/{tokens.join_token(ann)}"
    assert client.get(join).headers["Location"] == GENERAL  # not registered there yet

    run(any_ctx)
    (created,) = graph.registrations[TEAMS_ID]
    assert (created["firstName"], created["lastName"], created["email"]) == (
        "Ann",
        "Mary Example",
        "ann@example.com",
    )
    (call,) = graph.made("POST", "/registrations")
    assert call.path == f"/v1.0/solutions/virtualEvents/webinars/{TEAMS_ID}/registrations"
    assert call.body == {"firstName": "Ann", "lastName": "Mary Example", "email": "ann@example.com"}
    assert graph.token_requests == [
        {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": SCOPE,
            "grant_type": "client_credentials",
        }
    ]
    ann = person("ann@example.com")
    assert (ann.teams_registration_id, ann.teams_join_url) == (
        created["id"],
        created["joinWebUrl"],
    )
    assert (ann.zoom_registrant_id, ann.zoom_join_url) == (None, None)
    assert client.get(join).headers["Location"] == created["joinWebUrl"]
    # Her Teams link is in no email and on no page of hers.
    manage = client.get(f"/manage/{tokens.manage_token(ann)}").get_data(as_text=True)
    assert created["joinWebUrl"] not in manage and created["id"] not in manage
    assert all(created["joinWebUrl"].encode() not in m.raw for m in smtp.messages)

    run(any_ctx)  # again: nothing more
    assert len(graph.made("POST", "/registrations")) == 1 and graph.tokens_issued == 1
    (job,) = jobs()
    assert (job.status, job.platform) == (PlatformJobStatus.DONE, Platform.TEAMS)


def test_the_join_link_waits_for_the_doors_to_open(any_ctx, graph, smtp):
    graph.webinar(TEAMS_ID)
    _linked_webinar(starts_at=datetime.now(UTC) + timedelta(days=2))
    client = any_ctx.test_client()
    register_via(client, "back-pain-panel")
    run(any_ctx)
    ann = person("ann@example.com")
    assert ann.teams_join_url
    early = client.get(f"/join/{tokens.join_token(ann)}")
    assert "Location" not in early.headers and ann.teams_join_url not in early.get_data(
        as_text=True
    )


def test_cancelling_cancels_the_registration_and_the_person_promoted_is_added(any_ctx, graph, smtp):
    graph.webinar(TEAMS_ID)
    _linked_webinar(capacity=1)
    client = any_ctx.test_client()
    register_via(client, "back-pain-panel")
    register_via(client, "back-pain-panel", full_name="Bob Waiting", email="bob@example.com")
    run(any_ctx)
    (ann_there,) = graph.registrations[TEAMS_ID]  # Bob is waiting: not on Teams

    manage = f"/manage/{tokens.manage_token(person('ann@example.com'))}"
    confirm = client.get(f"{manage}/cancel").get_data(as_text=True)
    client.post(f"{manage}/cancel", data={"csrf_token": csrf_token(confirm)})
    run(any_ctx)

    (cancel,) = graph.made("POST", "/cancel")
    assert cancel.path.endswith(f"/webinars/{TEAMS_ID}/registrations/{ann_there['id']}/cancel")
    assert cancel.body is None
    statuses = {r["email"]: r["status"] for r in graph.registrations[TEAMS_ID]}
    assert statuses == {"ann@example.com": "canceled", "bob@example.com": "registered"}
    ann, bob = person("ann@example.com"), person("bob@example.com")
    assert (ann.teams_registration_id, ann.teams_join_url) == (None, None)
    assert bob.teams_join_url and bob.teams_join_url.endswith(bob.teams_registration_id or "-")
    bob_join = any_ctx.test_client().get(f"/join/{tokens.join_token(bob)}")
    assert bob_join.headers["Location"] == bob.teams_join_url


def test_erasing_details_cancels_on_teams(any_ctx, graph, smtp):
    graph.webinar(TEAMS_ID)
    _linked_webinar()
    client = any_ctx.test_client()
    register_via(client, "back-pain-panel")
    run(any_ctx)
    ann = person("ann@example.com")
    registration_id = ann.teams_registration_id
    manage = f"/manage/{tokens.manage_token(ann)}"
    page = client.get(f"{manage}/delete").get_data(as_text=True)
    client.post(f"{manage}/delete", data={"csrf_token": csrf_token(page)})
    run(any_ctx)
    (cancel,) = graph.made("POST", "/cancel")
    assert cancel.path.endswith(f"/registrations/{registration_id}/cancel")
    assert [r["status"] for r in graph.registrations[TEAMS_ID]] == ["canceled"]
    assert all(j.platform_registrant_id is None for j in jobs())


def test_graph_down_for_a_burst_then_each_is_created_exactly_once(any_ctx, graph, smtp):
    graph.webinar(TEAMS_ID)
    webinar_id = _linked_webinar(capacity=500)
    graph.down = True
    now = datetime.now(UTC)
    with writing():
        webinar = db.session.get(Webinar, webinar_id)
        for n in range(150):
            registrations.register(
                webinar, registrations.RegistrationInput(f"Person {n}", f"p{n}@example.com"), now
            )
    run(any_ctx)
    assert graph.registrations[TEAMS_ID] == []
    assert Counter(j.status for j in jobs()) == {PlatformJobStatus.QUEUED: 150}
    assert len(graph.made("POST", "/registrations")) == 1  # the pass stopped at the first

    graph.down = False
    run(any_ctx, datetime.now(UTC) + timedelta(hours=2))  # past the first one's backoff
    emails = Counter(r["email"] for r in graph.registrations[TEAMS_ID])
    assert len(emails) == 150 and set(emails.values()) == {1}
    assert Counter(j.status for j in jobs(PlatformJobKind.ADD_REGISTRANT)) == {
        PlatformJobStatus.DONE: 150
    }
    assert all(person(f"p{n}@example.com").teams_join_url for n in (0, 74, 149))


def test_a_429_makes_the_call_wait_at_least_as_long_as_graph_asks(any_ctx, graph, smtp):
    graph.webinar(TEAMS_ID)
    _linked_webinar()
    client = any_ctx.test_client()
    register_via(client, "back-pain-panel")
    graph.rate_limited, graph.retry_after = 1, 120
    before = datetime.now(UTC)
    run(any_ctx)
    (job,) = jobs()
    assert job.status == PlatformJobStatus.QUEUED and job.attempts == 0
    assert job.due_at >= before + timedelta(seconds=120)
    assert job.last_error == "create registration: HTTP 429 code TooManyRequests"
    run(any_ctx)  # not due yet: no call
    assert len(graph.made("POST", "/registrations")) == 1
    assert graph.registrations[TEAMS_ID] == []
    run(any_ctx, job.due_at + timedelta(seconds=1))
    assert len(graph.registrations[TEAMS_ID]) == 1


def test_an_expired_token_is_renewed_once(any_ctx, graph, smtp):
    graph.webinar(TEAMS_ID)
    _linked_webinar()
    register_via(any_ctx.test_client(), "back-pain-panel")
    run(any_ctx)  # first token
    register_via(any_ctx.test_client(), "back-pain-panel", email="bob@example.com")
    graph.revoke_token = True
    run(any_ctx)
    assert graph.tokens_issued == 2 and len(graph.registrations[TEAMS_ID]) == 2


def test_an_unknown_teams_webinar_fails_and_is_shown_to_organisers(any_ctx, graph, smtp):
    webinar_id = _linked_webinar()  # not on Teams: a 404, which is not retried
    register_via(any_ctx.test_client(), "back-pain-panel")
    run(any_ctx)
    (job,) = jobs()
    assert job.status == PlatformJobStatus.FAILED
    assert job.last_error == "create registration: HTTP 404 code NotFound"
    organiser = any_ctx.test_client()
    create_user("colin@clinic.example")
    login(organiser, "colin@clinic.example")
    page = organiser.get(f"/organiser/webinars/{webinar_id}").get_data(as_text=True)
    assert "Teams: 0 calls waiting / 1 failed" in page
    assert "Retry the failed Teams calls" in page


def test_linking_to_teams_adds_everyone_with_a_place_and_zoom_and_teams_together_are_refused(
    any_ctx, graph, smtp
):
    graph.webinar(TEAMS_ID)
    webinar_id = create_webinar().id  # not linked yet
    register_via(any_ctx.test_client(), "back-pain-panel")
    run(any_ctx)
    assert graph.calls == []
    organiser = any_ctx.test_client()
    create_user("colin@clinic.example")
    login(organiser, "colin@clinic.example")
    edit = f"/organiser/webinars/{webinar_id}/edit"

    both = post(
        organiser,
        edit,
        **edit_form(_webinar(webinar_id), zoom_webinar_id="81234567890", teams_webinar_id=TEAMS_ID),
    )
    assert both.status_code == 400
    assert "runs on Zoom or on Teams, not both" in both.get_data(as_text=True)
    malformed = post(organiser, edit, **edit_form(_webinar(webinar_id), teams_webinar_id="x"))
    assert malformed.status_code == 400
    assert _webinar(webinar_id).teams_webinar_id is None

    post(organiser, edit, **edit_form(_webinar(webinar_id), teams_webinar_id=f" {TEAMS_ID} "))
    assert _webinar(webinar_id).teams_webinar_id == TEAMS_ID
    run(any_ctx)
    assert [r["email"] for r in graph.registrations[TEAMS_ID]] == ["ann@example.com"]
    assert graph.made("PATCH", "") == []  # moves and cancellations are Zoom's only


def test_attendance_fetched_after_the_end_gives_certificates_and_thank_yous(any_ctx, graph, smtp):
    graph.webinar(TEAMS_ID)
    now = datetime.now(UTC)
    webinar_id = create_webinar(
        slug="done",
        starts_at=(now - timedelta(hours=3)).replace(second=0, microsecond=0),
        teams_webinar_id=TEAMS_ID,
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
    run(any_ctx)  # registrations created; no attendance report yet: asked again later
    (fetch,) = jobs(PlatformJobKind.FETCH_ATTENDANCE)
    assert (fetch.status, fetch.attempts, fetch.platform) == (
        PlatformJobStatus.QUEUED,
        1,
        Platform.TEAMS,
    )
    ids = {r["email"]: r["id"] for r in graph.registrations[TEAMS_ID]}

    def record(name: str, email: str, registration: str, seconds: int) -> dict[str, object]:
        return {
            "id": "r",
            "emailAddress": email,
            "identity": {"displayName": name},
            "registrationId": registration or None,
            "role": "Attendee",
            "totalAttendanceInSeconds": seconds,
        }

    graph.reports[TEAMS_ID] = {
        "session-1": {
            "report-1": [
                record("Nia (phone)", "", ids["nia@example.com"], 30 * 60),  # by registration
                record("Nia Jones", "nia.other@example.net", ids["nia@example.com"], 25 * 60 + 10),
                record("Dr Short Stay", "short@example.com", ids["short@example.com"], 4 * 60),
            ],
            "report-2": [
                record("Pat", "PAT@Example.com", "", 60 * 60),  # joined without the link
                record("A guest", "guest@example.org", "", 50 * 60),
            ],
        }
    }
    graph.page_limit = 1  # every list in pages: @odata.nextLink followed to the end
    run(any_ctx, now + timedelta(minutes=5))
    rows = db.session.execute(
        select(Registration.email, Attendance.minutes, Attendance.source).join(
            Attendance, Attendance.registration_id == Registration.id
        )
    ).all()
    assert {email: (minutes, source) for email, minutes, source in rows} == {
        "nia@example.com": (55, AttendanceSource.TEAMS),
        "short@example.com": (4, AttendanceSource.TEAMS),
        "pat@example.com": (60, AttendanceSource.TEAMS),
    }
    records = graph.made("GET", "/attendanceRecords")
    assert [c.params.get("$skiptoken", "") for c in records] == ["", "1", "2", "", "1"]
    fetched = len(graph.made("GET", "/sessions"))
    run(any_ctx, now + timedelta(hours=1))  # once per webinar
    assert len(graph.made("GET", "/sessions")) == fetched

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
