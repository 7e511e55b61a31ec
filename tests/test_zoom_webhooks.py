"""Zoom's webhooks: only genuine, fresh, first deliveries are believed."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Registration, Webinar
from eventsapp.platforms.webhooks import signature
from eventsapp.services import registration as registrations
from tests.support import create_webinar, writing

SECRET = "zoom-webhook-secret-for-tests"  # noqa: S105 (a test's own secret)


def _deliver(client, event: dict, *, secret: str = SECRET, at: float | None = None):  # type: ignore[no-untyped-def]
    body = json.dumps(event)
    timestamp = str(int(at if at is not None else time.time()))
    return client.post(
        "/webhooks/zoom",
        data=body,
        content_type="application/json",
        headers={
            "x-zm-request-timestamp": timestamp,
            "x-zm-signature": signature(secret, timestamp, body),
        },
    )


def test_the_endpoint_check_is_answered_and_a_joining_is_recorded_once(any_app):
    any_app.config["ZOOM_WEBHOOK_SECRET_TOKEN"] = SECRET
    client = any_app.test_client()
    with any_app.app_context():
        webinar_id = create_webinar(slug="zoomed", zoom_webinar_id="81234567890").id
        with writing():
            registrations.register(
                db.session.get(Webinar, webinar_id),
                registrations.RegistrationInput("Ann Example", "Ann@Example.com"),
                datetime.now(UTC),
            )
    check = _deliver(client, {"event": "endpoint.url_validation", "payload": {"plainToken": "abc"}})
    assert check.status_code == 200
    answer = check.get_json()
    assert answer["plainToken"] == "abc" and len(answer["encryptedToken"]) == 64

    joined = {
        "event": "webinar.participant_joined",
        "event_ts": int(time.time() * 1000),
        "payload": {
            "object": {
                "id": "81234567890",
                "participant": {"user_name": "Ann", "email": "ann@example.com"},
            }
        },
    }
    assert _deliver(client, joined).status_code == 200
    with any_app.app_context():
        ann = db.session.scalars(select(Registration)).one()
        assert ann.joined_first_at is not None and ann.join_clicks == 0


def test_a_wrong_stale_or_replayed_delivery_is_refused(any_app, caplog):
    any_app.config["ZOOM_WEBHOOK_SECRET_TOKEN"] = SECRET
    client = any_app.test_client()
    event = {"event": "webinar.participant_left", "payload": {"object": {"id": "1"}}}
    assert _deliver(client, event, secret="not-the-secret").status_code == 401
    assert _deliver(client, event, at=time.time() - 600).status_code == 401
    body = json.dumps(event)
    timestamp = str(int(time.time()))
    headers = {
        "x-zm-request-timestamp": timestamp,
        "x-zm-signature": signature(SECRET, timestamp, body),
    }
    first = client.post(
        "/webhooks/zoom", data=body, content_type="application/json", headers=headers
    )
    again = client.post(
        "/webhooks/zoom", data=body, content_type="application/json", headers=headers
    )
    assert (first.status_code, again.status_code) == (200, 401)
    assert "refused" in caplog.text and SECRET not in caplog.text


def test_without_a_secret_nothing_is_believed(app):
    app.config["ZOOM_WEBHOOK_SECRET_TOKEN"] = None
    response = _deliver(app.test_client(), {"event": "endpoint.url_validation"})
    assert response.status_code == 401
