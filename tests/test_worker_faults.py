"""The mail worker when its database connection is cut after it sent a group of emails and
before it recorded them: PostgreSQL's pg_terminate_backend from another connection, at
that exact moment (the worker's `before_recording` hook), and a real SMTP server on
loopback. A worker that stays alive sends nothing twice and loses nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import Connection, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from eventsapp import create_app, transactions
from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import OutboxMessage
from eventsapp.services import registration as registrations
from eventsapp.transactions import Mode
from tests.conftest import IsolatedClient, _config
from tests.support import TEST_DATABASE_URL, SMTPServer, create_webinar, require, wait_until

# The worker's connections carry this name, so the test cuts those and no others.
WORKER_CONNECTIONS = "eventsapp-fault-test-worker"
GROUP = 5  # OUTBOX_RECORD_EVERY
LEASE = 300


@dataclass
class Administrator:
    """A superuser's connection of its own, to the maintenance database (ALTER DATABASE
    cannot close the database it is connected to)."""

    connection: Connection
    database: str

    def cut(self) -> int:
        """Terminate every connection of the worker; returns how many, once they are gone."""
        killed = self.connection.execute(
            text(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = :name"
            ),
            {"name": WORKER_CONNECTIONS},
        ).scalar_one()
        wait_until(lambda: self._alive() == 0, timeout=10)
        return int(killed)

    def _alive(self) -> int:
        return int(
            self.connection.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"),
                {"name": WORKER_CONNECTIONS},
            ).scalar_one()
        )

    def refuse_connections(self, refuse: bool) -> None:
        """While refused, the database is "away" for the worker: connecting fails."""
        allow = "false" if refuse else "true"
        self.connection.execute(
            text(f'ALTER DATABASE "{self.database}" ALLOW_CONNECTIONS {allow}')  # noqa: S608
        )


@pytest.fixture
def admin() -> Iterator[Administrator]:
    require(bool(TEST_DATABASE_URL), "TEST_DATABASE_URL is not set (PostgreSQL tests)")
    url = make_url(TEST_DATABASE_URL or "")
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        administrator = Administrator(connection, str(url.database))
        administrator.refuse_connections(False)  # whatever an interrupted run left
        try:
            yield administrator
        finally:
            administrator.refuse_connections(False)
    engine.dispose()


@pytest.fixture
def fault_app(admin: Administrator, smtp_server: SMTPServer, tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    config = _config(TEST_DATABASE_URL or "", smtp_server.port, str(tmp_path))
    config.update(
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"application_name": WORKER_CONNECTIONS}},
        OUTBOX_BATCH_SIZE=20,
        OUTBOX_RECORD_EVERY=GROUP,
        OUTBOX_LEASE_SECONDS=LEASE,
        WORKER_IDLE_SECONDS=0.02,
    )
    app = create_app(config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _queue_confirmations(app: Flask, count: int) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        webinar = create_webinar(capacity=count)
        for n in range(count):
            registrations.register(
                webinar,
                registrations.RegistrationInput(f"Person {n}", f"p{n}@example.com"),
                now,
            )
        db.session.commit()


@contextmanager
def before_recording(hook: Callable[[int], None]) -> Iterator[None]:
    worker.before_recording.append(hook)
    try:
        yield
    finally:
        worker.before_recording.remove(hook)


@contextmanager
def running_worker(app: Flask, clock: worker.Clock = worker.utcnow) -> Iterator[None]:
    """`flask worker` in a thread of this process: alive all along."""
    stop = threading.Event()

    def run() -> None:
        with app.app_context():
            worker.run_forever(stop, clock)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()


def _unsettled(app: Flask) -> int:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage.status)).all()
        db.session.remove()
    return sum(status != "sent" for status in rows)


def _duplicates_and_lost(smtp: SMTPServer, count: int) -> tuple[int, int]:
    by_id = Counter(m.message["Message-ID"] for m in smtp.messages)
    return sum(n - 1 for n in by_id.values()), count - len(by_id)


def _assert_all_sent_once(app: Flask, smtp: SMTPServer, count: int) -> None:
    duplicates, lost = _duplicates_and_lost(smtp, count)
    print(f"\n{count} emails: {duplicates} duplicate(s), {lost} lost")  # noqa: T201
    assert (duplicates, lost) == (0, 0)
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(
        f"p{n}@example.com" for n in range(count)
    )
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert {(r.status, r.attempts, r.lease_owner) for r in rows} == {("sent", 1, None)}
        assert all(r.sent_at is not None for r in rows)
        assert len(worker.unrecorded()) == 0
        db.session.remove()


def test_connections_cut_between_send_and_record_send_nothing_twice_and_lose_nothing(
    fault_app, admin, smtp, caplog
):
    count = 120  # six batches of 20, in 24 groups of 5
    _queue_confirmations(fault_app, count)
    cut_at = set(range(2, 25, 3))  # every third group, at each place in a batch in turn
    calls: list[int] = []
    delivered_at_cut: list[int] = []
    killed: list[int] = []

    def cut(outcomes: int) -> None:
        calls.append(outcomes)
        if len(calls) in cut_at:
            delivered_at_cut.append(len(smtp.messages))
            killed.append(admin.cut())

    with (
        caplog.at_level(logging.INFO, logger="eventsapp.mail.worker"),
        before_recording(cut),
        running_worker(fault_app),
    ):
        wait_until(lambda: len(smtp.messages) >= count, timeout=60)
        wait_until(lambda: _unsettled(fault_app) == 0, timeout=30)

    # Each cut came after its group had reached the SMTP server, and killed the worker's
    # connection(s) before they could record it: the worker kept the group in memory and
    # recorded it on a new connection.
    assert delivered_at_cut == [n * GROUP for n in sorted(cut_at)]
    assert len(killed) == len(cut_at) and all(killed)
    messages = [r.getMessage() for r in caplog.records]
    lost = f"mail outcomes: database lost; {GROUP} kept in memory"
    assert messages.count(lost) == len(cut_at)
    recorded = f"mail outcomes: {GROUP} recorded on a new connection"
    assert messages.count(recorded) == len(cut_at)
    _assert_all_sent_once(fault_app, smtp, count)


def test_a_database_away_longer_than_the_lease_gets_the_sent_group_recorded_on_its_return(
    fault_app, admin, smtp, caplog
):
    """The connection is cut and the database refuses new ones; the worker keeps failing
    its passes while it holds the sent group in memory, sends nothing more meanwhile, and
    records the group when the database is back, though the leases expired long before."""
    count = 30
    _queue_confirmations(fault_app, count)
    start = datetime.now(UTC)
    elapsed = [timedelta(0)]
    away = threading.Event()

    def clock() -> datetime:
        return start + elapsed[0]

    def go_away(_outcomes: int) -> None:
        if not away.is_set():
            admin.refuse_connections(True)
            admin.cut()
            away.set()

    def failed_passes() -> int:
        return sum("mail worker pass failed" in r.getMessage() for r in caplog.records)

    with (
        caplog.at_level(logging.INFO, logger="eventsapp.mail.worker"),
        before_recording(go_away),
        running_worker(fault_app, clock),
    ):
        wait_until(lambda: failed_passes() >= 3, timeout=30)
        with fault_app.app_context():
            assert len(worker.unrecorded()) > 0
        assert len(smtp.messages) == GROUP  # nothing more was sent while the database was away
        elapsed[0] = timedelta(seconds=LEASE + 60)  # every lease has expired by now
        admin.refuse_connections(False)
        wait_until(lambda: len(smtp.messages) >= count, timeout=60)
        wait_until(lambda: _unsettled(fault_app) == 0, timeout=30)

    _assert_all_sent_once(fault_app, smtp, count)
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"{GROUP} remembered outcome(s) recorded" in m for m in messages)
    assert all("@example.com" not in m for m in messages)


def test_a_remembered_email_claimed_again_after_its_lease_expired_is_recorded_not_resent(
    fault_app, admin, smtp
):
    count = 2 * GROUP
    _queue_confirmations(fault_app, count)
    now = datetime.now(UTC)

    def go_away(_outcomes: int) -> None:
        admin.refuse_connections(True)
        admin.cut()

    with fault_app.app_context():
        with before_recording(go_away), pytest.raises(worker.RecordingLost):
            worker.run_once(clock=lambda: now)
        db.session.remove()
        assert len(smtp.messages) == GROUP
        assert len(worker.unrecorded()) > 0

        admin.refuse_connections(False)
        # The lease has expired: the rows go back to the queue and this process claims them
        # again (another pass, another lease) before it recorded what it remembers.
        later = now + timedelta(seconds=LEASE + 60)
        with transactions.begin_mode(Mode.WRITE):
            assert worker.reap_expired_leases(later) == count
            ids = worker.claim(later, "a-later-pass", 20, LEASE)
            report = worker.deliver(ids, "a-later-pass", lambda: later)
        db.session.remove()
        assert (report.recorded, report.sent) == (GROUP, GROUP)
        worker.run_once(clock=lambda: later)  # forgets what it kept to give back
    _assert_all_sent_once(fault_app, smtp, count)


def test_control_a_worker_that_forgets_the_cut_group_sends_it_again(
    fault_app, admin, smtp, monkeypatch
):
    """What a worker killed outright does: its memory is gone, so once the lease expires
    the group it sent is sent again — OUTBOX_RECORD_EVERY emails, no more. This shows the
    cut lands between sending and recording, where the memory above makes the difference."""
    monkeypatch.setattr(worker.Unrecorded, "keep", lambda self, outcomes: None)
    count = 2 * GROUP
    _queue_confirmations(fault_app, count)
    now = datetime.now(UTC)
    cuts: list[int] = []

    def cut_first(_outcomes: int) -> None:
        if not cuts:
            cuts.append(admin.cut())

    with fault_app.app_context():
        with before_recording(cut_first):
            worker.run_once(clock=lambda: now)
        assert worker.run_once(clock=lambda: now + timedelta(seconds=LEASE + 60)).reaped == GROUP
    assert _duplicates_and_lost(smtp, count) == (GROUP, 0)


def test_on_sqlite_a_recording_that_fails_is_retried_and_nothing_is_sent_twice(app, smtp):
    """SQLite's form of the fault: the write lock not granted in time."""
    app.config.update(OUTBOX_RECORD_EVERY=GROUP, OUTBOX_BATCH_SIZE=20)
    _queue_confirmations(app, 3 * GROUP)
    failures: list[int] = []

    def locked_once(_outcomes: int) -> None:
        if len(failures) < 2:
            failures.append(1)
            raise OperationalError("UPDATE outbox", {}, Exception("database is locked"))

    with app.app_context(), before_recording(locked_once):
        report = worker.run_once()
    assert report.sent == 3 * GROUP and len(failures) == 2
    _assert_all_sent_once(app, smtp, 3 * GROUP)
