"""Every organiser route, with real ids, and a fingerprint of the data: for the tests that
walk the whole organiser surface (access, CSRF, oversized bodies, generated forms)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import (
    Announcement,
    Attendance,
    AttendanceImport,
    AuditEvent,
    FormQuestion,
    OutboxMessage,
    Recording,
    Registration,
    Speaker,
    WebhookDelivery,
    WebhookEndpoint,
    Webinar,
)
from eventsapp.services import privacy_notices, tokens
from eventsapp.services import registration as registrations
from tests.support import create_user, create_webinar, writing


def one_of_everything() -> dict[str, int]:
    """A webinar hosted by the clinic alone, with a registrant, a question and an email."""
    webinar_id = create_webinar(slug="clinic-only", hosts=("clinic",)).id
    with writing():
        registrations.register(
            db.session.get(Webinar, webinar_id),
            registrations.RegistrationInput("Ann Example", "ann@example.com", question="Q?"),
            datetime.now(UTC),
        )
    reg = db.session.scalars(select(Registration)).one()
    webinar = db.session.get(Webinar, webinar_id)
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
    announcement = Announcement(
        webinar_id=webinar.id,
        audience="everyone",
        subject="Slides",
        body="Here they are.",
        created_at=datetime.now(UTC),
        recipients=0,
    )
    db.session.add(announcement)
    question = FormQuestion(webinar_id=webinar.id, kind="short_text", label="Your GP surgery")
    db.session.add(question)
    db.session.add(  # its recording (not published: the webinar is still to come)
        Recording(
            webinar_id=webinar.id,
            captions="WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nWelcome.\n",
            transcript="Welcome.",
            chapters=[{"start": 0, "title": "Welcome"}],
            updated_at=datetime.now(UTC),
        )
    )
    db.session.commit()
    clinic_user = create_user("colin@clinic.example", org="clinic")
    endpoint = WebhookEndpoint(
        organisation_id=clinic_user.organisation_id,
        url="https://crm.clinic.example/hooks",
        events=["registration.created"],
        secret="whsec_" + "A" * 43 + "=",
        created_at=datetime.now(UTC),
    )
    db.session.add(endpoint)
    db.session.flush()
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        message_id="msg_surface",
        type="webhook.test",
        occurred_at=datetime.now(UTC),
        due_at=datetime.now(UTC),
        status="delivered",
    )
    db.session.add(delivery)
    db.session.commit()
    return {
        "webinar_id": webinar.id,
        "member_id": webinar.panel[0].id,
        "registration_id": reg.id,
        "message_id": message,
        "speaker_id": db.session.scalars(select(Speaker.id)).first(),
        "import_id": report.id,
        "announcement_id": announcement.id,
        "question_id": question.id,
        "user_id": clinic_user.id,
        "organisation_id": clinic_user.organisation_id,
        "token": "x" * 43,
        "endpoint_id": endpoint.id,
        "delivery_id": delivery.id,
    }


def _value(rule, arg: str, ids: dict[str, int]):  # type: ignore[no-untyped-def]
    """An id from the set-up, or the first choice of an `any(...)` part of the URL."""
    converter = rule._converters.get(arg)
    choices = getattr(converter, "items", None)
    return sorted(choices)[0] if choices else ids[arg]


def routes(
    app: Flask, wanted: Callable[[str], bool], value: Callable[[Any, str], object]
) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every GET or POST of the wanted endpoints, with each URL
    argument from value(rule, name)."""
    found = []
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            if not wanted(rule.endpoint):
                continue
            url = adapter.build(rule.endpoint, {arg: value(rule, arg) for arg in rule.arguments})
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                found.append((rule.endpoint, method, url))
    return found


def organiser_routes(app: Flask, ids: dict[str, int]) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every organiser route, ids filled in."""
    return routes(
        app, lambda endpoint: endpoint.startswith("organiser."), lambda r, a: _value(r, a, ids)
    )


def public_routes(app: Flask, ids: dict[str, int]) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every route outside the organisers' area (static files
    aside), with the registrant's own working links (each personal page gets its token)."""
    reg = db.session.get(Registration, ids["registration_id"])
    links = {
        "public.join": tokens.join_token(reg),
        "public.stop_reminders": tokens.stop_reminders_token(reg),
        "public.feedback": tokens.feedback_token(reg),
    }
    values = {
        "slug": "clinic-only",
        "version": privacy_notices.current().version,
        "speaker_id": ids["speaker_id"],
        "organisation_id": ids["organisation_id"],
        "registration_id": reg.id,
        "number": "UNKNOWN",
    }

    def value(rule, arg: str) -> object:  # type: ignore[no-untyped-def]
        if arg in values:
            return values[arg]
        return links.get(rule.endpoint) or tokens.manage_token(reg)

    return routes(
        app, lambda endpoint: not endpoint.startswith("organiser.") and endpoint != "static", value
    )


def data_state() -> tuple:
    return (
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
        db.session.scalar(select(func.count()).select_from(OutboxMessage)),
        db.session.scalar(select(func.count()).select_from(Webinar)),
        tuple(db.session.execute(select(Registration.status, Registration.question_status)).all()),
        tuple(db.session.execute(select(Webinar.status, Webinar.registration_open)).all()),
        db.session.scalar(select(func.count()).select_from(Attendance)),
    )
