"""A web process keeps the webinar page's data while the database says nothing changed.

Other processes stand in as a second connection writing straight to the database, as
another gunicorn worker, the CLI or psql would: their changes must reach the page.
"""

from __future__ import annotations

import sqlite3

import psycopg

from eventsapp import change_feed
from eventsapp.extensions import db
from eventsapp.models import change_notices
from tests.support import create_webinar, csrf_token, registration_form, statements, wait_until


def _page(client) -> str:  # type: ignore[no-untyped-def]
    response = client.get("/webinars/panel")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _statements_for_a_view(client) -> int:  # type: ignore[no-untyped-def]
    with statements() as sent:
        _page(client)
    return len(sent)


def test_an_unchanged_page_costs_no_query_and_any_change_shows_at_once(app, client, ctx):
    create_webinar(slug="panel", capacity=5)
    assert _statements_for_a_view(client) >= 1
    assert _statements_for_a_view(app.test_client()) == 0  # the next visitor: nothing asked

    other_process = sqlite3.connect(
        app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    )
    with other_process:
        other_process.execute("UPDATE webinars SET seats_taken = 3")
    assert "2 places left" in _page(client)
    with other_process:
        other_process.execute("UPDATE speakers SET bio = 'Helen has moved to Leeds.'")
    assert "Helen has moved to Leeds." in _page(client)
    other_process.close()
    assert _statements_for_a_view(client) == 0


def _sqlite_connect(app) -> sqlite3.Connection:  # type: ignore[no-untyped-def]
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    return sqlite3.connect(path, isolation_level=None)


def test_on_sqlite_the_log_brings_other_processes_changes_without_reading(app, client, ctx):
    create_webinar(slug="panel", capacity=5)
    _page(client)
    other_process = _sqlite_connect(app)
    # A registration elsewhere: the log carries the count, the page's data is not read.
    other_process.execute("UPDATE webinars SET seats_taken = 3")
    with statements() as sent:
        assert "2 places left" in _page(client)
    assert sent == []
    # Commits that change nothing a page shows (the mail worker at work) cost nothing.
    other_process.execute("CREATE TABLE scratch (x)")
    other_process.execute("INSERT INTO scratch VALUES (1)")
    assert _statements_for_a_view(client) == 0
    # Anything else: read again.
    other_process.execute("UPDATE speakers SET bio = 'Helen has moved to Leeds.'")
    assert "Helen has moved to Leeds." in _page(client)
    other_process.execute("UPDATE webinars SET title = 'Living with neck pain'")
    assert "Living with neck pain" in _page(client)
    other_process.execute("BEGIN")
    other_process.execute("UPDATE webinars SET title = 'Never saved'")
    other_process.execute("ROLLBACK")
    assert "Never saved" not in _page(client)
    assert _statements_for_a_view(client) == 0
    other_process.close()


def test_on_sqlite_a_process_that_fell_behind_the_log_reads_again(app, client, ctx):
    """The log keeps the last 1,000 notices: one that missed more cannot trust its copy."""
    create_webinar(slug="panel", capacity=5)
    _page(client)
    other_process = _sqlite_connect(app)
    other_process.execute("UPDATE speakers SET bio = 'Helen has moved to Leeds.'")
    for taken in [1, 0] * 501:
        other_process.execute("UPDATE webinars SET seats_taken = ?", (taken,))
    other_process.close()
    with statements() as sent:
        page = _page(client)
    assert "Helen has moved to Leeds." in page
    assert "5 places left" in page
    assert sent != []


def test_on_sqlite_without_the_triggers_pages_read_every_time(app, client, ctx):
    create_webinar(slug="panel", capacity=5)
    other_process = _sqlite_connect(app)
    other_process.execute("DROP TRIGGER public_pages_speakers_update")
    other_process.close()
    app.extensions["change_feed"] = change_feed.for_engine(db.engine)  # as a process starting
    for _ in range(2):
        assert _statements_for_a_view(client) >= 1


def _pg_connect(pg_app) -> psycopg.Connection:  # type: ignore[no-untyped-def]
    url = pg_app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg", "postgresql")
    return psycopg.connect(url, autocommit=True)


def test_on_postgresql_notices_bring_other_processes_changes(pg_app):
    client = pg_app.test_client()
    with pg_app.app_context():
        create_webinar(slug="panel", capacity=5)
        assert _statements_for_a_view(client) >= 1
        assert _statements_for_a_view(client) == 0

        with _pg_connect(pg_app) as other_process:
            # A registration elsewhere: the notice carries the count, nothing is read.
            other_process.execute("UPDATE webinars SET seats_taken = 3")
            with statements() as sent:
                wait_until(lambda: "2 places left" in _page(client), timeout=5)
            assert sent == []
            # Anything else: the page's data is read again.
            other_process.execute("UPDATE speakers SET bio = 'Helen has moved to Leeds.'")
            wait_until(lambda: "Helen has moved to Leeds." in _page(client), timeout=5)
            other_process.execute("UPDATE webinars SET title = 'Living with neck pain'")
            wait_until(lambda: "Living with neck pain" in _page(client), timeout=5)
            # A rolled-back change says nothing.
            with other_process.transaction(force_rollback=True):
                other_process.execute("UPDATE webinars SET title = 'Never saved'")
        assert "Never saved" not in _page(client)
        assert _statements_for_a_view(client) == 0


def test_on_postgresql_a_lost_listener_means_reading_every_time_until_it_is_back(
    pg_app, monkeypatch
):
    client = pg_app.test_client()
    with pg_app.app_context():
        create_webinar(slug="panel", capacity=5)
        _page(client)
        with _pg_connect(pg_app) as admin:
            ended = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND query LIKE 'LISTEN%%'"
            ).fetchall()
            assert len(ended) == 1
            # Once the process notices, it reads the database on every view: a change made
            # while nobody listened still shows.
            wait_until(lambda: _statements_for_a_view(client) >= 1, timeout=5)
            admin.execute("UPDATE webinars SET title = 'Living with neck pain'")
            assert "Living with neck pain" in _page(client)
            assert _statements_for_a_view(client) >= 1
        later = change_feed.monotonic() + change_feed.RETRY_SECONDS + 1
        monkeypatch.setattr(change_feed, "monotonic", lambda: later)
        _page(client)  # listening again
        assert _statements_for_a_view(client) == 0


def test_on_postgresql_without_the_triggers_pages_read_every_time(pg_app):
    """A database created some other way than by the app (or by migrations) has no
    triggers: the process must not wait for notices that never come."""
    client = pg_app.test_client()
    with pg_app.app_context():
        create_webinar(slug="panel", capacity=5)
        with _pg_connect(pg_app) as admin:
            admin.execute(f"DROP TRIGGER {change_notices.TRIGGER_PREFIX}speakers ON speakers")
        for _ in range(2):
            assert _statements_for_a_view(client) >= 1


def test_on_postgresql_a_registration_here_updates_the_kept_page_without_reading(pg_app):
    """The registration POST declares the one thing it changes on the page, the seat count:
    neither it nor the next views read the webinar again, and the count is right at once."""
    with pg_app.app_context():
        _register_and_view_without_reading(pg_app.test_client())


def test_on_sqlite_a_registration_here_updates_the_kept_page_without_reading(app, client, ctx):
    _register_and_view_without_reading(client)


def _register_and_view_without_reading(client) -> None:  # type: ignore[no-untyped-def]
    create_webinar(slug="panel", capacity=5)
    form = {**registration_form(), "csrf_token": csrf_token(_page(client))}
    client.get("/webinars/panel/registered?place=confirmed")  # rendered once, kept
    with statements() as sent:
        assert client.post("/webinars/panel", data=form).status_code == 303
        page = _page(client)
        client.get("/webinars/panel/registered?place=confirmed")
    assert "4 places left" in page
    assert not [s for s in sent if s.lstrip().upper().startswith("SELECT")]


def test_on_sqlite_a_registration_reads_its_webinar_before_taking_the_write_lock(app, client, ctx):
    """Nothing kept (a new process, or a change just arrived): the POST reads its webinar as
    read-only work, so SQLite's single write lock is held for the writes alone."""
    create_webinar(slug="panel", capacity=5)
    form = {**registration_form(), "csrf_token": csrf_token(_page(client))}
    app.extensions.pop("page_data")  # forget what the page view kept
    with statements() as sent:
        assert client.post("/webinars/panel", data=form).status_code == 303
    said = [s.lstrip().upper() for s in sent]
    assert said.count("BEGIN IMMEDIATE") == 1
    assert any(s.startswith("SELECT") for s in said[: said.index("BEGIN IMMEDIATE")])


def test_with_the_feed_off_every_view_reads_the_database(app, client, ctx):
    app.extensions["change_feed"] = change_feed.for_engine(db.engine, enabled=False)
    create_webinar(slug="panel", capacity=5)
    for _ in range(2):
        assert _statements_for_a_view(client) >= 1
