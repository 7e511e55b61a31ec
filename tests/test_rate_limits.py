"""Rate limits, tried as an attacker would, without locking the real organiser out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis
from flask import Flask

from eventsapp import create_app
from eventsapp.extensions import db
from tests.conftest import IsolatedClient, _config
from tests.support import (
    PASSWORD,
    TEST_REDIS_URL,
    create_user,
    create_webinar,
    form_token,
    register_via,
    require,
)


def _limited(tmp_path: Any, smtp_port: int, storage: str) -> Flask:
    config = _config(f"sqlite:///{tmp_path / 'limits.db'}", smtp_port, str(tmp_path))
    config.update(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage)
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def limited_app(smtp_server: Any, tmp_path: Any) -> Iterator[Flask]:
    app = _limited(tmp_path, smtp_server.port, "memory://")
    with app.app_context():
        db.create_all()
        create_webinar(slug="limits", capacity=100)
        create_user("colin@clinic.example")
        db.session.remove()
    yield app


def test_registrations_are_limited_per_email_with_a_clear_429(limited_app):
    client = limited_app.test_client()
    codes = [register_via(client, "limits", email="same@example.com").status_code for _ in range(6)]
    assert codes == [303] * 5 + [429]
    page = register_via(client, "limits", email="same@example.com")
    assert "Too many attempts" in page.get_data(as_text=True)
    assert register_via(client, "limits", email="other@example.com").status_code == 303


def test_guessing_a_password_does_not_lock_the_real_organiser_out(limited_app):
    attacker = limited_app.test_client()
    token = form_token(attacker)
    attempts = [
        attacker.post(
            "/organiser/login",
            data={"email": "colin@clinic.example", "password": f"guess {n}", "csrf_token": token},
            environ_base={"REMOTE_ADDR": "203.0.113.9"},
        ).status_code
        for n in range(9)
    ]
    assert attempts[:8] == [400] * 8 and attempts[8] == 429
    # The real organiser, from their own address, still signs in.
    colin = limited_app.test_client()
    response = colin.post(
        "/organiser/login",
        data={
            "email": "colin@clinic.example",
            "password": PASSWORD,
            "csrf_token": form_token(colin),
        },
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.status_code == 302


def test_with_redis_every_process_counts_against_the_same_limit(smtp_server, tmp_path):
    """REDIS_URL as in production: two app instances (two gunicorn workers, or two machines)
    share one count, so an attacker gains nothing by landing on another process."""
    require(bool(TEST_REDIS_URL), "TEST_REDIS_URL is not set (shared rate limits)")
    first, second = (_limited(tmp_path, smtp_server.port, TEST_REDIS_URL or "") for _ in "ab")
    redis.Redis.from_url(TEST_REDIS_URL or "").flushdb()  # a database of its own: no leftovers
    with first.app_context():
        db.create_all()
        create_webinar(slug="limits", capacity=100)
        db.session.remove()
    codes = []
    for n in range(6):
        app = (first, second)[n % 2]
        with app.app_context():
            codes.append(
                register_via(app.test_client(), "limits", email="same@example.com").status_code
            )
    assert codes == [303] * 5 + [429]
