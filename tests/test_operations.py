"""What operations rely on: /healthz, conditional GETs, running behind a reverse proxy."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import update

from eventsapp import create_app, transactions
from eventsapp.extensions import db
from eventsapp.models import OutboxMessage, Registration
from eventsapp.services import registration as registrations
from eventsapp.services import tokens
from tests.support import (
    create_webinar,
    csrf_token,
    free_port,
    register_via,
    registration_form,
    wait_until,
)


def test_healthz_reports_the_database_and_how_long_the_oldest_email_has_waited(app, client, ctx):
    fresh = client.get("/healthz")
    assert fresh.status_code == 200 and fresh.headers["Cache-Control"] == "no-store"
    assert fresh.json == {
        "database": True,
        "queued_due": 0,
        "oldest_due_seconds": 0,
        "failed_last_day": 0,
        "status": "ok",
    }

    create_webinar(slug="panel")
    register_via(client, "panel", email="ann@example.com", full_name="Ann Example")
    # No worker has run for 20 minutes: the queue is stuck, and monitoring should hear of it.
    db.session.execute(
        update(OutboxMessage).values(due_at=datetime.now(UTC) - timedelta(minutes=20))
    )
    db.session.commit()
    stuck = client.get("/healthz")
    assert stuck.status_code == 200  # the web servers are fine: keep them in the pool
    assert stuck.json["status"] == "degraded" and stuck.json["queued_due"] == 1
    assert 1190 <= stuck.json["oldest_due_seconds"] <= 1300
    body = stuck.get_data(as_text=True)
    assert "ann" not in body.lower() and "example.com" not in body  # counts, never people


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k" * 40,
            # A directory cannot be opened as a database: every query fails.
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}",
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] is False and response.json["status"] == "down"


def test_public_pages_and_feeds_answer_conditional_gets(client, ctx):
    create_webinar(slug="panel", capacity=5)
    for path in (
        "/",
        "/past",
        "/privacy",
        "/webinars/panel",
        "/webinars/panel/registered?place=confirmed",
        "/calendar.ics",
        "/webinars/panel/calendar.ics",
    ):
        first = client.get(path)
        etag = first.headers.get("ETag")
        assert first.status_code == 200 and etag, path
        again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.data == b"", path

    # A registration changes the places left: the page's tag changes, so browsers see it.
    page = client.get("/webinars/panel")
    assert "5 places left" in page.get_data(as_text=True)
    register_via(client, "panel", email="ann@example.com")
    after = client.get("/webinars/panel", headers={"If-None-Match": page.headers["ETag"]})
    assert after.status_code == 200 and "4 places left" in after.get_data(as_text=True)

    # The page carries this session's form token, so its tag belongs to this session only.
    other = client.application.test_client().get("/webinars/panel")
    assert other.headers["ETag"] != after.headers["ETag"]
    assert "Cookie" in after.headers["Vary"]


def test_personal_pages_are_never_cached_or_tagged(client, ctx):
    create_webinar(slug="panel")
    register_via(client, "panel", email="ann@example.com")
    reg = db.session.query(Registration).one()
    page = client.get(f"/manage/{tokens.manage_token(reg)}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store" and "ETag" not in page.headers


def test_behind_a_proxy_the_client_address_and_https_come_from_its_headers(app):
    proxied = create_app({**app.config, "PROXY_HOPS": 1})
    response = proxied.test_client().get(
        "/",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"},
    )
    assert "max-age" in response.headers["Strict-Transport-Security"]
    direct = (
        create_app({**app.config, "PROXY_HOPS": 0})
        .test_client()
        .get("/", headers={"X-Forwarded-Proto": "https"})
    )
    assert "Strict-Transport-Security" not in direct.headers  # headers are not trusted


def test_gunicorn_with_the_production_config_serves_and_logs_no_personal_data(tmp_path):
    """The real server, config and migrations, as `Procfile`/systemd start them."""
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{tmp_path}/prod.db",
        "INSTANCE_PATH": str(tmp_path),
        "PUBLIC_BASE_URL": "https://webinars.example.org",
        "WEB_CONCURRENCY": "2",
        "BIND": f"127.0.0.1:{free_port()}",
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(bin_dir / "gunicorn"), "wsgi:app"],
            cwd=root,
            env=env,
            stdout=out,
            stderr=out,
        )
    base = f"http://{env['BIND']}"
    try:
        wait_until(lambda: _get(base + "/healthz") == 200, timeout=30)
        token = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd"
        assert _get(f"{base}/manage/{token}?email=ann@example.com") == 404
        assert _get(base + "/") == 200
        # Production cookies: sent only over HTTPS, out of scripts' reach, not cross-site.
        with urllib.request.urlopen(base + "/organiser/login", timeout=5) as page:  # noqa: S310
            cookies = page.headers.get_all("Set-Cookie")
        (session_cookie,) = [c for c in cookies if c.startswith("session=")]
        for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
            assert flag in session_cookie
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    text = log.read_text()
    assert '"GET /healthz HTTP/1.1" 200' in text
    assert '"GET /manage/<token> HTTP/1.1" 404' in text
    assert token not in text and "ann@example.com" not in text and "127.0.0.1 -" not in text


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _drop_every_other_connection(database_url: str) -> int:
    """What a PostgreSQL restart does to the app's pooled connections."""
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg", "postgresql")) as admin:
        return len(
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).fetchall()
        )


def test_after_postgresql_drops_its_connections_the_next_visitor_is_served(pg_app, monkeypatch):
    """Connections idle for a while are checked before use, so a restarted database never
    shows a visitor an error page; one in constant use is not pinged at all."""
    client = pg_app.test_client()
    with pg_app.app_context():
        create_webinar(slug="panel")
    assert client.get("/webinars/panel").status_code == 200
    assert _drop_every_other_connection(pg_app.config["SQLALCHEMY_DATABASE_URI"]) >= 1
    later = transactions.monotonic() + transactions.PING_AFTER_IDLE_SECONDS + 1
    monkeypatch.setattr(transactions, "monotonic", lambda: later)  # the pooled one sat idle
    page = client.get("/webinars/panel")
    assert page.status_code == 200 and "Register for this webinar" in page.get_data(True)
    page = register_via(client, "panel")
    assert page.status_code == 303


def test_a_database_that_fails_mid_request_gets_a_calm_503_not_a_500(pg_app):
    """Within that second a restart can still reach a request: it is told to try again
    and nothing is saved, rather than shown a server error."""
    client = pg_app.test_client()
    with pg_app.app_context():
        create_webinar(slug="panel")
    page = client.get("/webinars/panel")
    form = {**registration_form(), "csrf_token": csrf_token(page.get_data(as_text=True))}
    _drop_every_other_connection(pg_app.config["SQLALCHEMY_DATABASE_URI"])
    answer = client.post("/webinars/panel", data=form)  # used again at once: not pinged
    assert answer.status_code == 503
    text = answer.get_data(as_text=True)
    assert "try again" in text and "Traceback" not in text
    assert client.post("/webinars/panel", data=form).status_code == 303  # the pool recovered
    with pg_app.app_context():
        assert db.session.query(Registration).count() == 1  # saved once, by the second post


def test_a_database_that_does_not_answer_gets_a_calm_503_not_a_500(tmp_path):
    """A visitor caught by a database restart is told to try again, and nothing is saved,
    rather than shown a server error."""
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "k" * 40,
            "SQLALCHEMY_DATABASE_URI": f"postgresql+psycopg://postgres@127.0.0.1:{port}/none",
            "INSTANCE_DIR": str(tmp_path),
        }
    )
    answer = app.test_client().get("/webinars/panel")
    assert answer.status_code == 503
    text = answer.get_data(as_text=True)
    assert "try again" in text and "Traceback" not in text


def test_the_development_servers_log_shows_no_tokens_addresses_or_queries(live_server, ctx, caplog):
    """What `make run` prints for a personal link: the path with <token>, nothing else."""
    webinar = create_webinar(slug="logged")
    registration = registrations.register(
        webinar,
        registrations.RegistrationInput("Ann Example", "ann@example.com"),
        datetime.now(UTC),
    ).registration
    db.session.commit()
    token = tokens.manage_token(registration)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        requests.get(f"{live_server.url}/manage/{token}?email=ann@example.com", timeout=10)
        wait_until(lambda: any("/manage/" in r.getMessage() for r in caplog.records))
    (line,) = [r.getMessage() for r in caplog.records if "/manage/" in r.getMessage()]
    assert "/manage/<token>" in line
    assert token not in line and "ann@example.com" not in line and "127.0.0.1" not in line
