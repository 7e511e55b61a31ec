"""The organisations' private API: keys made by admins in the organiser area, and what a
key can and cannot see or do. Each organisation sees only the webinars it hosts, and of a
co-hosted webinar only the marketing opt-ins made to itself."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from eventsapp import create_app
from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import (
    ApiAccess,
    ApiKey,
    AuditEvent,
    FormQuestion,
    OutboxMessage,
    Registration,
    User,
    Webinar,
)
from eventsapp.services import api_keys, privacy
from eventsapp.services import registration as registrations
from tests.conftest import IsolatedClient, _config
from tests.support import (
    PASSWORD,
    assert_accessible,
    create_user,
    create_webinar,
    login,
    organisation,
    post,
    writing,
)

KEY_RE = re.compile(r"bpw_[0-9a-f]{8}_[A-Za-z0-9_-]{43}")


# --- set-up: two organisations, each with its own webinar, and one they share -----------


def two_organisations() -> dict[str, Any]:
    """clinic-only (capacity 2: Ann, Bob; Cat waits), charity-only (Dee) and shared (Eve,
    who wants the clinic's news, and Fay, who wants the charity's). Eve answered a health
    question and a plain one."""
    clinic_only = create_webinar(slug="clinic-only", hosts=("clinic",), capacity=2)
    charity_only = create_webinar(slug="charity-only", title="Pacing", hosts=("charity",))
    shared = create_webinar(slug="shared", title="Sleep and pain", hosts=("clinic", "charity"))
    health = FormQuestion(
        webinar_id=shared.id, kind="short_text", label="Your pain score", about_health=True
    )
    plain = FormQuestion(webinar_id=shared.id, kind="short_text", label="How did you hear?")
    db.session.add_all([health, plain])
    db.session.commit()
    clinic, charity = organisation("clinic").id, organisation("charity").id
    slugs = {w.slug: w.id for w in (clinic_only, charity_only, shared)}
    health_id, plain_id = health.id, plain.id
    people = [
        ("clinic-only", "Ann Example", "ann@example.com", {clinic}, {}),
        ("clinic-only", "Bob Example", "bob@example.com", set(), {}),
        ("clinic-only", "Cat Example", "cat@example.com", set(), {}),
        ("charity-only", "Dee Example", "dee@example.com", {charity}, {}),
        (
            "shared",
            "Eve Example",
            "eve@example.com",
            {clinic},
            {health_id: ("Your pain score", "8 of 10"), plain_id: ("How did you hear?", "GP")},
        ),
        ("shared", "Fay Example", "fay@example.com", {charity}, {}),
    ]
    ids: dict[str, Any] = {}
    now = datetime.now(UTC)
    for webinar, name, email, marketing, answers in people:
        with writing():
            result = registrations.register(
                db.session.get(Webinar, slugs[webinar]),
                registrations.RegistrationInput(
                    name,
                    email,
                    audience="living_with_pain",
                    question="Can I drive on cannabis oil?",
                    access_needs="Live captions",
                    marketing_organisation_ids=frozenset(marketing),
                    answers=answers,
                ),
                now,
            )
        ids[name.split()[0].lower()] = result.registration_id
    ids["clinic_id"], ids["charity_id"] = clinic, charity
    return ids


def make_key(
    org: str, *, access: ApiAccess = ApiAccess.READ, health: bool = False, name: str = "CRM"
) -> str:
    admin_id = db.session.scalar(select(User.id).where(User.is_admin.is_(True)))
    if admin_id is None:
        admin_id = create_user(f"admin-{org}@example.org", admin=True).id
    with writing():
        created = api_keys.create(
            organisation(org),
            name=name,
            access=access,
            include_health=health,
            actor=db.session.get(User, admin_id),
            now=datetime.now(UTC),
        )
    return created.secret


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def get(client: Any, url: str, key: str) -> Any:
    return client.get(url, headers=bearer(key))


def _all_pages(client: Any, url: str, key: str, field: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(50):
        sep = "&" if "?" in url else "?"
        page = get(client, f"{url}{sep}cursor={cursor}" if cursor else url, key).get_json()
        items += page[field]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


# --- keys in the organiser area -------------------------------------------------------------


def test_an_admin_creates_a_key_that_is_shown_once_and_stored_only_as_a_hash(any_ctx):
    two_organisations()
    create_user("ada@example.org", admin=True)
    client = any_ctx.test_client()
    login(client, "ada@example.org")
    clinic = organisation("clinic")
    settings = client.get(f"/organiser/organisations/{clinic.id}").get_data(as_text=True)
    url = f"/organiser/organisations/{clinic.id}/api-keys"
    assert url in settings
    assert "No keys yet" in client.get(url).get_data(as_text=True)

    created = post(client, url, name="CRM sync", access="read", include_health="y")
    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    page = created.get_data(as_text=True)
    (secret,) = set(KEY_RE.findall(page))
    assert "You will not see it again" in page
    assert f"Authorization: Bearer {secret}" in page  # the curl example

    key = db.session.scalars(select(ApiKey)).one()
    assert (key.name, key.access, key.include_health) == ("CRM sync", "read", True)
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(f"bpw_{key.prefix}_")
    stored = " ".join(str(getattr(key, c.key)) for c in ApiKey.__table__.columns)
    assert secret not in stored and secret.rsplit("_", 1)[1] not in stored
    # Later the list shows the prefix, never the key again.
    listed = client.get(url).get_data(as_text=True)
    assert f"bpw_{key.prefix}" in listed and secret not in listed
    assert "CRM sync" in listed and "Read only" in listed and "Never" in listed
    # Audited, without the key.
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_key.created"))
    assert event.details["api_key"] == key.id and secret not in str(event.details)
    # And it works.
    api = any_ctx.test_client()
    me = get(api, "/api/v1/organisation", secret).get_json()
    assert me["organisation"]["name"] == clinic.name
    assert me["key"] == {
        "name": "CRM sync",
        "prefix": key.prefix,
        "access": "read",
        "include_health": True,
        "created_at": me["key"]["created_at"],
    }


def test_organisers_see_their_own_keys_but_only_admins_create_or_revoke(app, client, ctx):
    two_organisations()
    make_key("clinic", name="Mailing list")
    key = db.session.scalars(select(ApiKey)).one()
    create_user("colin@clinic.example", org="clinic")
    create_user("chris@charity.example", org="charity")
    clinic_id = organisation("clinic").id
    url = f"/organiser/organisations/{clinic_id}/api-keys"

    login(client, "colin@clinic.example")
    page = client.get(url)
    assert page.status_code == 200 and "Mailing list" in page.get_data(as_text=True)
    assert "Create a key" not in page.get_data(as_text=True)
    assert "Only an admin can create or revoke keys" in page.get_data(as_text=True)
    assert post(client, url, name="Mine", access="read_write").status_code == 404
    assert post(client, f"{url}/revoke", key=str(key.id)).status_code == 404
    assert "Revoke the key" not in client.get(f"{url}?revoke={key.id}").get_data(as_text=True)

    client.post("/organiser/logout", data={"csrf_token": ""})
    other = app.test_client()
    login(other, "chris@charity.example")
    assert other.get(url).status_code == 404  # another organisation's keys: not found
    assert db.session.scalars(select(ApiKey)).one().revoked_at is None
    assert db.session.scalar(select(ApiKey.id).where(ApiKey.name == "Mine")) is None


def test_revoking_asks_first_then_the_key_is_refused(any_ctx):
    ids = two_organisations()
    secret = make_key("clinic")
    key = db.session.scalars(select(ApiKey)).one()
    client = any_ctx.test_client()
    login(client, "admin-clinic@example.org")
    url = f"/organiser/organisations/{ids['clinic_id']}/api-keys"
    confirm = client.get(f"{url}?revoke={key.id}").get_data(as_text=True)
    assert "Revoke the key “CRM”?" in confirm and "This cannot be undone" in confirm
    done = post(client, f"{url}/revoke", key=str(key.id))
    assert done.status_code == 302
    listed = client.get(url).get_data(as_text=True)
    assert "is revoked" in listed and "Revoked" in listed
    assert db.session.scalars(select(ApiKey)).one().revoked_at is not None
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"api_key.created", "api_key.revoked"} <= actions

    response = get(any_ctx.test_client(), "/api/v1/registrations", secret)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert response.get_json()["title"] == "Unauthorized"
    assert "revoked" in response.get_json()["detail"]


def test_no_key_or_a_wrong_key_is_401_and_private_answers_are_never_cached_or_shared(any_ctx):
    two_organisations()
    secret = make_key("clinic")
    client = any_ctx.test_client()
    origin = {"Origin": "https://elsewhere.example"}
    for headers in (
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer bpw_00000000_" + "A" * 43},
        {"Authorization": f"Bearer {secret}x"},
        {"Authorization": f"Bearer {secret[:-1]}"},
    ):
        response = client.get("/api/v1/registrations", headers={**headers, **origin})
        assert response.status_code == 401, headers
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith('Bearer realm="')
        assert response.get_json()["detail"]
        assert "Access-Control-Allow-Origin" not in response.headers
        assert response.headers["Cache-Control"] == "no-store"
    ok = client.get("/api/v1/registrations", headers={**bearer(secret), **origin})
    assert ok.status_code == 200
    assert ok.headers["Cache-Control"] == "no-store"
    assert "Authorization" in ok.headers["Vary"]
    assert "Access-Control-Allow-Origin" not in ok.headers and "ETag" not in ok.headers
    assert "Set-Cookie" not in ok.headers
    # A browser on another site is refused at the preflight.
    preflight = client.options(
        "/api/v1/registrations",
        headers={
            **origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
    # The public API keeps its CORS.
    assert client.get("/api/v1/webinars").headers["Access-Control-Allow-Origin"] == "*"


# --- what a key reads -------------------------------------------------------------------------


def test_a_key_pages_through_its_registrations_and_then_only_what_changed(any_ctx):
    ids = two_organisations()
    secret = make_key("clinic")
    client = any_ctx.test_client()
    everything = _all_pages(client, "/api/v1/registrations?limit=2", secret, "registrations")
    mine = {ids[p] for p in ("ann", "bob", "cat", "eve", "fay")}
    assert {r["id"] for r in everything} == mine and len(everything) == len(mine)
    keys = [(r["updated_at"], r["id"]) for r in everything]
    assert keys == sorted(keys)
    by_id = {r["id"]: r for r in everything}
    assert by_id[ids["ann"]]["name"] == "Ann Example" and by_id[ids["ann"]]["status"] == "confirmed"
    assert by_id[ids["cat"]]["status"] == "waitlisted"

    # Filters: a webinar, a status.
    shared = get(client, "/api/v1/registrations?webinar=shared", secret).get_json()
    assert {r["id"] for r in shared["registrations"]} == {ids["eve"], ids["fay"]}
    waiting = get(client, "/api/v1/registrations?status=waitlisted", secret).get_json()
    assert [r["id"] for r in waiting["registrations"]] == [ids["cat"]]

    # A change later: only it comes back with updated_since (our clock, UTC).
    mark = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert get(client, f"/api/v1/registrations?updated_since={mark}", secret).get_json() == {
        "registrations": [],
        "next_cursor": None,
    }
    with writing():
        registrations.cancel(db.session.get(Registration, ids["bob"]), datetime.now(UTC))
    changed = get(client, f"/api/v1/registrations?updated_since={mark}", secret).get_json()[
        "registrations"
    ]
    # Bob cancelled, and Cat got his place: both changed.
    assert {r["id"]: r["status"] for r in changed} == {
        ids["bob"]: "cancelled",
        ids["cat"]: "confirmed",
    }


def test_the_other_organisation_sees_nothing_of_the_first(any_ctx):
    ids = two_organisations()
    clinic_key, charity_key = make_key("clinic"), make_key("charity")
    client = any_ctx.test_client()
    for url in (
        f"/api/v1/registrations/{ids['ann']}",
        "/api/v1/webinars/clinic-only/attendance",
        "/api/v1/registrations?webinar=clinic-only",
        "/api/v1/webinars/no-such-webinar/attendance",
        "/api/v1/registrations/2147483647",
    ):
        response = get(client, url, charity_key)
        assert response.status_code == 404, url
        assert response.get_json() == {"type": "about:blank", "title": "Not found", "status": 404}
    listed = _all_pages(client, "/api/v1/registrations", charity_key, "registrations")
    assert {r["id"] for r in listed} == {ids["dee"], ids["eve"], ids["fay"]}
    text = str(listed)
    assert "ann@example.com" not in text and "clinic-only" not in text
    webinars = get(client, "/api/v1/organisation/webinars", charity_key).get_json()["webinars"]
    assert {w["slug"] for w in webinars} == {"charity-only", "shared"}
    assert get(client, "/api/v1/webinars/clinic-only", charity_key).status_code == 200  # public

    # The shared webinar: each host sees only the opt-ins made to it.
    def opted_in(key: str) -> dict[int, str]:
        page = get(client, "/api/v1/opt-ins", key).get_json()
        return {o["registration_id"]: o["email"] for o in page["opt_ins"]}

    assert opted_in(clinic_key) == {ids["ann"]: "ann@example.com", ids["eve"]: "eve@example.com"}
    assert opted_in(charity_key) == {ids["dee"]: "dee@example.com", ids["fay"]: "fay@example.com"}
    for key, yes, no in ((clinic_key, "eve", "fay"), (charity_key, "fay", "eve")):
        assert get(client, f"/api/v1/registrations/{ids[yes]}", key).get_json()["marketing_opt_in"]
        assert not get(client, f"/api/v1/registrations/{ids[no]}", key).get_json()[
            "marketing_opt_in"
        ]
    # Writes too: the charity's read-write key cannot touch the clinic's registrations.
    writer = make_key("charity", access=ApiAccess.READ_WRITE)
    for action in ("cancel", "check-in"):
        url = f"/api/v1/registrations/{ids['ann']}/{action}"
        assert client.post(url, headers=bearer(writer)).status_code == 404
    assert db.session.get(Registration, ids["ann"]).status == "confirmed"


def test_health_details_only_with_a_key_made_to_include_them(any_ctx):
    ids = two_organisations()
    plain, health = make_key("clinic"), make_key("clinic", health=True)
    client = any_ctx.test_client()
    without = get(client, f"/api/v1/registrations/{ids['eve']}", plain).get_json()
    assert without["answers"] == [{"question": "How did you hear?", "answer": "GP"}]
    for field in ("question_for_panel", "access_needs", "i_am"):
        assert field not in without
    assert "8 of 10" not in str(without) and "captions" not in str(without)
    listed = get(client, "/api/v1/registrations", plain).text
    assert "captions" not in listed and "cannabis oil" not in listed and "8 of 10" not in listed

    full = get(client, f"/api/v1/registrations/{ids['eve']}", health).get_json()
    assert full["question_for_panel"] == "Can I drive on cannabis oil?"
    assert full["access_needs"] == "Live captions"
    assert full["i_am"] == "living_with_pain"
    assert {"question": "Your pain score", "answer": "8 of 10"} in full["answers"]


def test_erased_people_appear_without_personal_data(any_ctx):
    ids = two_organisations()
    secret = make_key("clinic", health=True)
    with writing():
        privacy.erase_on_request(db.session.get(Registration, ids["eve"]), datetime.now(UTC))
    client = any_ctx.test_client()
    record = get(client, f"/api/v1/registrations/{ids['eve']}", secret).get_json()
    assert record["erased"] is True
    for field in ("name", "email", "i_am", "question_for_panel", "access_needs"):
        assert record[field] is None, field
    assert record["answers"] == [] and record["marketing_opt_in"] is False
    # The opt-ins feed tells the clinic to drop her, without saying who she was.
    assert ids["eve"] not in {
        o["registration_id"] for o in get(client, "/api/v1/opt-ins", secret).get_json()["opt_ins"]
    }
    changes = get(client, "/api/v1/opt-ins?updated_since=2000-01-01T00:00:00Z", secret).get_json()[
        "opt_ins"
    ]
    (gone,) = [o for o in changes if o["registration_id"] == ids["eve"]]
    assert gone == {**gone, "opted_in": False, "name": None, "email": None, "recorded_at": None}


# --- what a read-write key does -------------------------------------------------------------


def test_a_read_only_key_cannot_cancel(any_ctx):
    ids = two_organisations()
    secret = make_key("clinic")
    client = any_ctx.test_client()
    response = client.post(f"/api/v1/registrations/{ids['ann']}/cancel", headers=bearer(secret))
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    assert response.get_json()["title"] == "Forbidden"
    assert "only read" in response.get_json()["detail"]
    assert db.session.get(Registration, ids["ann"]).status == "confirmed"


def test_a_read_write_cancel_emails_them_and_moves_the_waiting_list(any_ctx, smtp):
    ids = two_organisations()
    secret = make_key("clinic", access=ApiAccess.READ_WRITE)
    key_id = db.session.scalar(select(ApiKey.id))
    client = any_ctx.test_client()
    response = client.post(f"/api/v1/registrations/{ids['ann']}/cancel", headers=bearer(secret))
    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    statuses = dict(db.session.execute(select(Registration.email, Registration.status)).all())
    assert statuses["ann@example.com"] == "cancelled"
    assert statuses["cat@example.com"] == "confirmed"  # first on the waiting list
    again = client.post(f"/api/v1/registrations/{ids['ann']}/cancel", headers=bearer(secret))
    assert again.status_code == 409 and "already cancelled" in again.get_json()["detail"]
    (event,) = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "registration.cancelled")
    )
    assert event.actor_id is None and event.details["api_key"] == key_id
    assert event.details["registration"] == ids["ann"]
    with any_ctx.app_context():
        worker.run_once()
    (told,) = smtp.to("ann@example.com")[-1:]
    assert "cancelled" in told.message.get_body(("plain",)).get_content()
    kinds = {
        (m.recipient, m.kind)
        for m in db.session.scalars(select(OutboxMessage))
        if m.recipient in ("ann@example.com", "cat@example.com")
    }
    assert ("ann@example.com", "registration_cancelled") in kinds
    assert ("cat@example.com", "confirmation") in kinds


def test_a_check_in_is_attendance_and_moves_the_registration(any_ctx):
    ids = two_organisations()
    secret = make_key("clinic", access=ApiAccess.READ_WRITE)
    client = any_ctx.test_client()
    before = get(client, f"/api/v1/registrations/{ids['bob']}", secret).get_json()
    early = client.post(f"/api/v1/registrations/{ids['bob']}/check-in", headers=bearer(secret))
    assert early.status_code == 409  # before the webinar has begun: nothing to record yet
    assert "once the webinar has begun" in early.get_json()["detail"]
    with writing():  # the webinar begins
        webinar = db.session.scalars(select(Webinar).where(Webinar.slug == "clinic-only")).one()
        webinar.starts_at = datetime.now(UTC) - timedelta(minutes=5)
    checked = client.post(f"/api/v1/registrations/{ids['bob']}/check-in", headers=bearer(secret))
    assert checked.status_code == 200
    record = checked.get_json()
    assert record["attended"] is True and record["minutes_attended"] == 60
    assert record["updated_at"] >= before["updated_at"]
    attendance = get(client, "/api/v1/webinars/clinic-only/attendance", secret).get_json()
    assert attendance["attendance"] == [
        {
            "registration_id": ids["bob"],
            "status": "confirmed",
            "attended": True,
            "minutes_attended": 60,
            "source": "manual",
            "updated_at": attendance["attendance"][0]["updated_at"],
        }
    ]
    webinars = get(client, "/api/v1/organisation/webinars", secret).get_json()["webinars"]
    counts = {w["slug"]: w["counts"] for w in webinars}
    assert counts["clinic-only"] == {"confirmed": 2, "waitlisted": 1, "cancelled": 0, "attended": 1}
    waiting = client.post(f"/api/v1/registrations/{ids['cat']}/check-in", headers=bearer(secret))
    assert waiting.status_code == 409
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert "attendance.checked_in" in actions


def test_last_use_is_recorded_at_most_once_a_minute_and_shown(any_ctx):
    ids = two_organisations()
    secret = make_key("clinic")
    client = any_ctx.test_client()
    assert db.session.scalar(select(ApiKey.last_used_at)) is None
    get(client, "/api/v1/organisation", secret)
    first = db.session.scalar(select(ApiKey.last_used_at))
    assert first is not None
    get(client, "/api/v1/registrations", secret)
    assert db.session.scalar(select(ApiKey.last_used_at)) == first  # within the minute
    # The audit log shows the minute it was used (once), and what it asked for first.
    (used,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "api_key.used"))
    assert used.details["endpoint"] == "api.get_organisation" and used.actor_id is None
    login(client, "admin-clinic@example.org")
    page = client.get(f"/organiser/organisations/{ids['clinic_id']}/api-keys")
    assert "Never" not in page.get_data(as_text=True)


def test_odd_query_values_are_a_plain_400_or_a_404_never_a_500(any_ctx):
    two_organisations()
    secret = make_key("clinic")
    client = any_ctx.test_client()
    for query, word in (
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WzEsMl0", "cursor"),  # [1,2]
        ("cursor=" + "A" * 5000, "cursor"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=" + "9" * 5000, "limit"),
        ("limit=²", "limit"),
        ("updated_since=yesterday", "updated_since"),
        ("updated_since=2026-11-30T09:00:00", "updated_since"),  # no time zone
        ("updated_since=0001-01-01T00:00:00%2B01:00", "updated_since"),
        ("status=lost", "status"),
    ):
        for path in ("/api/v1/registrations", "/api/v1/opt-ins"):
            if word == "status" and path.endswith("opt-ins"):
                continue
            response = get(client, f"{path}?{query}", secret)
            assert response.status_code == 400, (path, query)
            assert response.mimetype == "application/problem+json"
            assert word in response.get_json()["detail"]
    for url in (
        "/api/v1/registrations?webinar=%00",
        "/api/v1/registrations?cursor=a%00",
        "/api/v1/registrations/99999999999",
        "/api/v1/webinars/a%00b/attendance",
    ):
        assert get(client, url, secret).status_code == 404, url


# --- rate limits ------------------------------------------------------------------------------


@pytest.fixture
def limited_app(smtp_server: Any, tmp_path: Any) -> Iterator[Flask]:
    config = _config(f"sqlite:///{tmp_path / 'limits.db'}", smtp_server.port, str(tmp_path))
    config.update(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", API_KEY_RATE_LIMIT="3/minute"
    )
    app = create_app(config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()


def test_each_key_has_its_own_limit_and_a_429_says_when_to_retry(limited_app):
    two_organisations()
    first, second = make_key("clinic"), make_key("clinic", name="Other")
    client = limited_app.test_client()
    codes = [
        get(client, url, first).status_code
        for url in ("/api/v1/organisation", "/api/v1/registrations", "/api/v1/opt-ins")
    ]
    assert codes == [200, 200, 200]
    limited = get(client, "/api/v1/organisation/webinars", first)
    assert limited.status_code == 429 and limited.mimetype == "application/problem+json"
    assert limited.get_json()["title"] == "Too many requests"
    assert 1 <= int(limited.headers["Retry-After"]) <= 61
    assert get(client, "/api/v1/organisation", second).status_code == 200  # another key
    assert get(client, "/api/v1/webinars", first).status_code == 200  # the public API


# --- the organiser pages in a browser ---------------------------------------------------------


def test_the_key_pages_are_accessible_and_the_key_can_be_copied(page, live_server, ctx):
    two_organisations()
    create_user("ada@example.org", admin=True)
    base = live_server.url
    page.goto(base + "/organiser/login")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Webinars", level=1).wait_for()
    page.goto(f"{base}/organiser/organisations/{organisation('clinic').id}")
    page.get_by_role("link", name="API keys").click()
    page.get_by_role("heading", name="API keys", level=1).wait_for()
    assert_accessible(page, "API keys, none yet")

    page.get_by_role("button", name="Create key").click()  # empty: the error state
    page.get_by_role("alert").filter(has_text="There is a problem").wait_for()
    assert_accessible(page, "API keys with errors")

    page.get_by_label("What is this key for?").fill("CRM sync")
    page.get_by_label("Read, and cancel or check in registrations").check()
    page.get_by_label("Include health details").check()
    page.get_by_role("button", name="Create key").click()
    page.get_by_role("heading", name="Your new API key").wait_for()
    assert_accessible(page, "the new key")
    secret = page.get_by_label("The key “CRM sync”").input_value()
    assert KEY_RE.fullmatch(secret)

    page.get_by_role("link", name="I have copied the key").click()
    page.get_by_role("link", name="Revoke the key “CRM sync”").click()
    page.get_by_role("heading", name="Revoke the key “CRM sync”?").wait_for()
    assert_accessible(page, "revoke confirmation")
    page.get_by_role("button", name="Revoke the key").click()
    page.get_by_text("is revoked").wait_for()
    assert secret not in page.content()
