"""Reminder throughput: the worker against a plain smtplib loop, and planning speed.

Run by hand (not part of `make test`):

    .venv/bin/python bench/reminders.py                 # SQLite in a temporary folder
    .venv/bin/python bench/reminders.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

1. 10,000 confirmed registrants of one webinar; the worker plans their reminders and
   delivers them to a loopback SMTP server (aiosmtpd). Messages per second.
2. The same messages (the bytes the server received) sent again by a plain smtplib loop over
   one connection: the ceiling for this SMTP server. The ratio of 1 to 2 is the figure.
3. Planning reminders for 100,000 registrations: seconds.

Prints the figures and writes them to docs/benchmarks.md (the "Reminders" section).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where bench/http.py would
# stand in for the standard library's http package (werkzeug imports http.server).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse  # noqa: E402
import os  # noqa: E402
import smtplib  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APP_ENV", "testing")
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-"))

from sqlalchemy import insert, select  # noqa: E402

from bench.report import write_section  # noqa: E402
from bench.smtp_sink import Sink  # noqa: E402
from eventsapp import create_app  # noqa: E402
from eventsapp.extensions import db  # noqa: E402
from eventsapp.mail import renderers, worker  # noqa: E402
from eventsapp.models import Organisation, OutboxMessage, Registration, Webinar  # noqa: E402
from eventsapp.services import registration as registrations  # noqa: E402
from eventsapp.services import reminders, tokens  # noqa: E402


def make_webinar(slug: str, starts_at: datetime, capacity: int, now: datetime) -> Webinar:
    org = db.session.scalars(select(Organisation)).first() or Organisation(
        slug="clinic", name="Clinic"
    )
    webinar = Webinar(
        slug=slug,
        title="Cannabis medicines and chronic back pain: a specialist panel",
        summary="Specialists answer your questions.",
        description="",
        starts_at=starts_at,
        duration_minutes=60,
        capacity=capacity,
        seats_taken=capacity,
        waitlist_enabled=True,
        registration_open=True,
        status="published",
        sequence=0,
        created_at=now,
        updated_at=now,
        hosts=[org],
        reminder_offsets=[60],
        join_url="https://zoom.example.com/j/1",
    )
    db.session.add(webinar)
    db.session.flush()
    return webinar


def add_registrants(webinar: Webinar, count: int, confirmed_at: datetime, secret: str) -> None:
    """Bulk rows with real manage and join tokens (what the emails link to)."""
    table = Registration.__table__
    start = (db.session.scalar(select(db.func.max(Registration.id))) or 0) + 1
    rows = []
    for n in range(count):
        reg_id = start + n
        salt, join_salt = tokens.new_salt(), tokens.new_salt()
        rows.append(
            {
                "id": reg_id,
                "webinar_id": webinar.id,
                "full_name": f"Person {reg_id}",
                "email": f"p{reg_id}@example.com",
                "email_normalised": f"p{reg_id}@example.com",
                "audience": None,
                "question": "",
                "question_status": "new",
                "access_needs": "",
                "status": "confirmed",
                "status_changed_at": confirmed_at,
                "version": 1,
                "ical_sequence_offset": 0,
                "consent_given_at": confirmed_at,
                "consent_notice_version": "bench",
                "token_salt": salt,
                "manage_token_hash": tokens.digest(
                    tokens.derive(secret, registrations.MANAGE, None, salt)
                ),
                "join_salt": join_salt,
                "join_token_hash": tokens.digest(
                    tokens.derive(secret, registrations.JOIN, None, join_salt)
                ),
                "join_clicks": 0,
                "reminders_opt_out": False,
                "created_at": confirmed_at,
            }
        )
    for i in range(0, count, 5000):
        db.session.execute(insert(table), rows[i : i + 5000])
    db.session.commit()


def plain_loop(port: int, messages: list[tuple[str, bytes]]) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for recipient, data in messages:
            smtp.sendmail("webinars@example.org", [recipient], data)
    return len(messages) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: SQLite in a temporary folder)")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--plan-count", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs; medians reported")
    parser.add_argument("--render-processes", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    spool_dir = Path(os.environ["INSTANCE_PATH"])
    database = args.database or f"sqlite:///{spool_dir}/bench.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": "bench-secret-" + "k" * 40,
            "MAIL_SERVER": "127.0.0.1",
            "PUBLIC_BASE_URL": "https://webinars.example.org",
            "MAIL_RENDER_PROCESSES": args.render_processes,
        }
    )
    now = datetime.now(UTC).replace(microsecond=0)
    worker_rates, plain_rates = [], []
    with app.app_context():
        db.drop_all()
        db.create_all()
        webinar = make_webinar("bench", now + timedelta(minutes=30), args.count, now)
        webinar_id = webinar.id  # the worker ends the session: keep the id, not the object
        add_registrants(webinar, args.count, now - timedelta(days=1), app.config["SECRET_KEY"])
        later = make_webinar("plan", now + timedelta(days=2, minutes=30), args.plan_count, now)
        add_registrants(later, args.plan_count, now - timedelta(days=1), app.config["SECRET_KEY"])

        # Start the render process first: a one-time cost of each worker's life (reported).
        started = time.perf_counter()
        renderers.get(app.config).submit([], "", now).result()
        startup_seconds = time.perf_counter() - started

        for round_ in range(args.rounds):
            if round_:
                requeue(webinar_id, now)
            with Sink(spool_dir / f"worker{round_}.spool") as sink:
                app.config["MAIL_PORT"] = sink.port
                started = time.perf_counter()
                report = worker.run_once()  # the first round also plans the reminders
                worker_rates.append(args.count / (time.perf_counter() - started))
                assert report.sent == args.count, report
            received = sink.received
            assert len(received) == args.count, len(received)
            with Sink(spool_dir / f"plain{round_}.spool") as plain_sink:
                plain_rates.append(plain_loop(plain_sink.port, received))

        # Planning alone for the big webinar: its 1-hour reminder falls due two days on.
        started = time.perf_counter()
        planned = reminders.plan(now + timedelta(days=2, minutes=1))
        db.session.commit()
        plan_seconds = time.perf_counter() - started
        assert planned.reminders == args.plan_count, planned

    worker_rate, plain_rate = statistics.median(worker_rates), statistics.median(plain_rates)
    backend = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
    lines = [
        f"- {backend}, {args.render_processes} render process(es): worker "
        f"{worker_rate:,.0f} msg/s, plain smtplib loop {plain_rate:,.0f} msg/s "
        f"(medians of {args.rounds} alternating rounds of {args.count:,} reminders; worker "
        f"rounds {', '.join(f'{r:,.0f}' for r in worker_rates)}; render process start "
        f"{startup_seconds:.1f} s): **ratio {worker_rate / plain_rate:.2f}** (target ≥ 0.6). "
        f"Planning {args.plan_count:,} reminders: **{plan_seconds:.2f} s** (target < 2 s).",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("## Reminders (bench/reminders.py)", f"{backend},", lines)


def requeue(webinar_id: int, now: datetime) -> None:
    """Put the reminders back in the queue for another round."""
    table = OutboxMessage.__table__
    db.session.execute(
        table.update()
        .where(table.c.webinar_id == webinar_id)
        .values(
            status="queued",
            attempts=0,
            due_at=now,
            sent_at=None,
            lease_owner=None,
            lease_expires_at=None,
        )
    )
    db.session.commit()


if __name__ == "__main__":
    main()
