"""Fixtures: the app on SQLite or PostgreSQL, a real SMTP server, a live server, a browser.

Browser and PostgreSQL tests skip with a visible reason when their part is missing,
unless REQUIRE_FULL_SUITE=1 (CI), where a skip would hide a gap and so fails instead.
"""

from __future__ import annotations

import contextvars
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest

os.environ["APP_ENV"] = "testing"
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="eventsapp-test-"))
os.environ.pop("DATABASE_URL", None)
os.environ.pop("MAIL_SERVER", None)

from flask import Flask, has_app_context  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from eventsapp import create_app, transactions  # noqa: E402
from eventsapp.extensions import db  # noqa: E402
from eventsapp.models import Webinar  # noqa: E402
from tests.support import (  # noqa: E402
    TEST_DATABASE_URL,
    LiveServer,
    SMTPServer,
    create_webinar,
    require,
)

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SMTPServer) -> SMTPServer:
    smtp_server.clear()
    return smtp_server


# --- the application ----------------------------------------------------------------------


def _config(database_url: str, smtp_port: int, instance: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-hmac-use",
        "PUBLIC_BASE_URL": "https://webinars.example.org",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_TIMEOUT_SECONDS": 5,
        "MAIL_DEFAULT_SENDER": "Back Pain Webinars <webinars@example.org>",
        "INSTANCE_DIR": instance,
        "MAIL_FILE_DIR": os.path.join(instance, "mail"),
        "RATELIMIT_ENABLED": False,
    }


def _make_app(database_url: str, smtp_port: int, tmp_path: Any) -> Iterator[Flask]:
    app = create_app(_config(database_url, smtp_port, str(tmp_path)))
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(smtp_server: SMTPServer, tmp_path: Any) -> Iterator[Flask]:
    yield from _make_app(f"sqlite:///{tmp_path / 'test.db'}", smtp_server.port, tmp_path)


@pytest.fixture
def pg_app(smtp_server: SMTPServer, tmp_path: Any) -> Iterator[Flask]:
    require(bool(TEST_DATABASE_URL), "TEST_DATABASE_URL is not set (PostgreSQL tests)")
    yield from _make_app(TEST_DATABASE_URL or "", smtp_server.port, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request: pytest.FixtureRequest) -> Flask:
    """The app on each database in turn: for behaviour that must hold on both."""
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


@pytest.fixture
def any_ctx(any_app: Flask) -> Iterator[Flask]:
    """`ctx` (below) on each database in turn."""
    with any_app.app_context(), transactions.begin_mode(transactions.Mode.READ):
        yield any_app


@pytest.fixture
def ctx(app: Flask) -> Iterator[Flask]:
    """An app context for the test's own queries.

    Deferred transactions: the test's reads must not hold SQLite's write lock while the
    pages it drives (in the same thread) or the worker try to write.
    """
    with app.app_context(), transactions.begin_mode(transactions.Mode.READ):
        yield app


class IsolatedClient(FlaskClient):
    """Each request runs in its own context, as in production.

    Flask reuses an app context that is already pushed (the test's `ctx`), which would
    share `g` (Flask-Login's user, the CSRF token) and the database session between
    requests of different clients. After each request the test's own session is rolled
    back, so its next read sees what the request committed.
    """

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.rollback()
        return response


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def webinar_factory(app: Flask) -> Callable[..., Webinar]:
    def make(**kwargs: Any) -> Webinar:
        with app.app_context():
            webinar = create_webinar(**kwargs)
            db.session.expunge_all()
            return webinar

    return make


# --- a live server, for concurrency and the browser --------------------------------------


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server


@pytest.fixture
def pg_live_server(pg_app: Flask) -> Iterator[LiveServer]:
    with LiveServer(pg_app) as server:
        yield server


# --- headless Chromium --------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require(os.path.exists(CHROMIUM_PATH), f"Chromium not found at {CHROMIUM_PATH}")
    # Imported here: only browser tests need Playwright loaded.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()
