"""Every organiser route, tried anonymously, by the other organisation, and by a non-admin."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import (
    Attendance,
    AttendanceImport,
    AuditEvent,
    OutboxMessage,
    Registration,
    Speaker,
    Webinar,
)
from eventsapp.organiser import PUBLIC_ENDPOINTS
from eventsapp.services import registration as registrations
from tests.support import create_user, create_webinar, form_token, login

ADMIN_ENDPOINTS = {
    "organiser.subject_access",
    "organiser.subject_access_export",
    "organiser.subject_erase",
    "organiser.users",
    "organiser.deactivate_user",
    "organiser.organisations",
    "organiser.audit_log",
}


def _setup() -> dict[str, int]:
    """A webinar hosted by the clinic alone, with a registrant, a question and an email."""
    webinar = create_webinar(slug="clinic-only", hosts=("clinic",))
    reg = registrations.register(
        webinar,
        registrations.RegistrationInput("Ann Example", "ann@example.com", question="Q?"),
        datetime.now(UTC),
    ).registration
    db.session.commit()
    message = db.session.scalars(select(OutboxMessage.id)).first()
    report = AttendanceImport(
        webinar_id=webinar.id,
        sha256="0" * 64,
        source="zoom",
        imported_at=datetime.now(UTC),
        matched=0,
        unmatched=[{"key": "k", "name": "Ann", "email": "", "minutes": 30}],
    )
    db.session.add(report)
    db.session.commit()
    clinic_user = create_user("colin@clinic.example", org="clinic")
    return {
        "webinar_id": webinar.id,
        "member_id": webinar.panel[0].id,
        "registration_id": reg.id,
        "message_id": message,
        "speaker_id": db.session.scalars(select(Speaker.id)).first(),
        "import_id": report.id,
        "user_id": clinic_user.id,
        "token": "x" * 43,
    }


def _value(rule, arg: str, ids: dict[str, int]):  # type: ignore[no-untyped-def]
    """An id from the set-up, or the first choice of an `any(...)` part of the URL."""
    converter = rule._converters.get(arg)
    choices = getattr(converter, "items", None)
    return sorted(choices)[0] if choices else ids[arg]


def _routes(app: Flask, ids: dict[str, int]) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every organiser route, ids filled in."""
    found = []
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("organiser."):
                continue
            values = {arg: _value(rule, arg, ids) for arg in rule.arguments}
            url = adapter.build(rule.endpoint, values)
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                found.append((rule.endpoint, method, url))
    return found


def _state() -> tuple:
    return (
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
        db.session.scalar(select(func.count()).select_from(OutboxMessage)),
        db.session.scalar(select(func.count()).select_from(Webinar)),
        tuple(db.session.execute(select(Registration.status, Registration.question_status)).all()),
        tuple(db.session.execute(select(Webinar.status, Webinar.registration_open)).all()),
        db.session.scalar(select(func.count()).select_from(Attendance)),
    )


def test_anonymous_visitors_are_sent_to_sign_in_everywhere(app, client, ctx):
    ids = _setup()
    token = form_token(client)
    before = _state()
    routes = _routes(app, ids)
    assert len(routes) > 30
    for endpoint, method, url in routes:
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(url, method=method, data={"csrf_token": token})
        assert response.status_code == 302, (endpoint, method)
        assert response.headers["Location"].startswith("/organiser/login"), endpoint
    assert _state() == before


def test_the_other_organisation_cannot_read_export_or_change_anything(app, client, ctx):
    ids = _setup()
    create_user("chris@charity.example", org="charity")
    login(client, "chris@charity.example")
    token = form_token(client)
    before = _state()
    checked = 0
    webinar_prefix = f"/organiser/webinars/{ids['webinar_id']}"
    for endpoint, method, url in _routes(app, ids):
        if not url.startswith(webinar_prefix):
            continue
        response = client.open(
            url, method=method, data={"csrf_token": token, "message": "x", "status": "hidden"}
        )
        assert response.status_code == 404, (endpoint, method, response.status_code)
        assert "ann@example.com" not in response.get_data(as_text=True)
        checked += 1
    # Every route of a webinar, read or write (28 routes, 30 route-and-method pairs).
    assert checked == 30
    assert _state() == before
    # Their own list does not show it either.
    assert "clinic-only" not in client.get("/organiser/").get_data(as_text=True)


def test_organisers_cannot_reach_admin_pages(app, client, ctx):
    ids = _setup()
    login(client, "colin@clinic.example")
    token = form_token(client)
    for endpoint, method, url in _routes(app, ids):
        if endpoint in ADMIN_ENDPOINTS:
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 404, (endpoint, method)


def test_the_hosting_organisation_and_admins_can_open_every_page(app, client, ctx):
    """The control for the tests above: the same URLs do work for those allowed."""
    ids = _setup()
    create_user("ada@example.org", admin=True)
    for email, allowed in (("colin@clinic.example", False), ("ada@example.org", True)):
        login(client, email)
        for endpoint, method, url in _routes(app, ids):
            if method != "GET" or endpoint in PUBLIC_ENDPOINTS:
                continue
            if endpoint in ADMIN_ENDPOINTS and not allowed:
                continue
            assert client.get(url).status_code == 200, (email, endpoint)
        client.post("/organiser/logout", data={"csrf_token": form_token(client)})


def test_forms_without_a_csrf_token_change_nothing(app, client, ctx):
    ids = _setup()
    login(client, "colin@clinic.example")
    before = _state()
    for endpoint, method, url in _routes(app, ids):
        if method == "POST":
            assert client.post(url, data={"message": "x"}).status_code == 400, endpoint
    assert _state() == before
