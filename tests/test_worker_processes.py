"""Real worker processes: several on PostgreSQL share the queue; SIGTERM stops one cleanly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import OutboxMessage, Registration
from eventsapp.services import registration as registrations
from tests.support import create_webinar, wait_until

ROOT = Path(__file__).resolve().parent.parent


def _worker(app, *args: str) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "APP_ENV": "testing",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"],
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(app.config["MAIL_PORT"]),
        "MAIL_DEFAULT_SENDER": app.config["MAIL_DEFAULT_SENDER"],
        "OUTBOX_BATCH_SIZE": "10",  # small batches, so the workers interleave
        "WORKER_IDLE_SECONDS": "0.1",
        "INSTANCE_PATH": app.config["INSTANCE_DIR"],
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _registrants(app, count: int, starts_in: timedelta) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    with app.app_context():
        webinar = create_webinar(starts_at=now + starts_in, capacity=count, reminder_offsets=[60])
        for n in range(count):
            registrations.register(
                webinar,
                registrations.RegistrationInput(f"Person {n}", f"p{n}@example.com"),
                now - timedelta(hours=3),
            )
        db.session.commit()


def test_three_workers_on_postgres_deliver_each_reminder_exactly_once(pg_app, smtp):
    count = 120
    _registrants(pg_app, count, starts_in=timedelta(minutes=30))  # the 1-hour reminder is due
    workers = [_worker(pg_app) for _ in range(3)]
    try:
        # Confirmations and reminders: two emails per person.
        wait_until(lambda: len(smtp.messages) >= 2 * count, timeout=120)
        with pg_app.app_context():
            wait_until(
                lambda: (
                    db.session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status != "sent")
                    )
                    == 0
                ),
                timeout=60,
            )
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        logs = [proc.communicate(timeout=60)[0] for proc in workers]
    assert [proc.returncode for proc in workers] == [0, 0, 0], logs
    by_id = Counter(m.message["Message-ID"] for m in smtp.messages)
    assert len(by_id) == 2 * count and set(by_id.values()) == {1}
    reminders = [m for m in smtp.messages if m.message["Subject"].strip().startswith("Reminder")]
    assert sorted(m.rcpt_tos[0] for m in reminders) == sorted(
        f"p{n}@example.com" for n in range(count)
    )
    # The work was shared: at least two of the workers sent something.
    busy = [log for log in logs if re.search(r"mail batch: claimed=\d+ sent=[1-9]", log)]
    assert len(busy) >= 2, logs
    # The log names no one.
    assert all("@example.com" not in log for log in logs)
    with pg_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Registration)) == count


def test_sigterm_stops_the_worker_cleanly(app, smtp):
    proc = _worker(app)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")))
    reader.start()
    wait_until(lambda: any("mail worker started" in line for line in lines), timeout=30)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    reader.join(timeout=10)
    assert any("mail worker stopped" in line for line in lines)
