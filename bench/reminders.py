"""Reminders: 10,000 of one webinar, from falling due to the SMTP server, by real workers.

Run by hand (not part of `make test`):

    .venv/bin/python bench/reminders.py                 # SQLite in a temporary folder
    .venv/bin/python bench/reminders.py --database postgresql+psycopg://postgres@127.0.0.1:5432/DB
    .venv/bin/python bench/reminders.py --database postgresql+psycopg://... --workers 2

1. 10,000 confirmed registrants of one webinar whose 1-hour reminder falls due a few seconds
   after `flask --app wsgi worker` processes (production settings, as deployed) have started.
   Targets: the last reminder reaches a loopback SMTP server (aiosmtpd, its own process)
   within 2 minutes of falling due; each person gets exactly one (with two workers too);
   each worker's peak RSS (VmHWM, with any child process it starts) < 120 MB.
2. Planning reminders for 100,000 registrations in this process: seconds.

The script runs the code of the checkout it sits in: copied beside another checkout (with
bench/smtp_sink.py and bench/report.py) it measures that one, for before/after figures.
Prints the figures and writes them to docs/benchmarks.md ("Mail after issue 15").
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, where a bench module could
# stand in for a standard library one: take it out.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("APP_ENV", "testing")
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="bench-"))

from sqlalchemy import func, insert, select  # noqa: E402

from bench.report import write_section  # noqa: E402
from bench.smtp_sink import Sink  # noqa: E402
from eventsapp import create_app  # noqa: E402
from eventsapp.extensions import db  # noqa: E402
from eventsapp.models import Organisation, Registration, Webinar  # noqa: E402
from eventsapp.services import reminders, tokens  # noqa: E402

SECRET = "bench-secret-" + "k" * 40
LEAD = timedelta(seconds=15)  # from starting the workers to the reminders falling due


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


def add_registrants(webinar: Webinar, count: int, confirmed_at: datetime) -> None:
    """Bulk rows with real manage and join tokens (what the emails link to)."""
    table = Registration.__table__
    start = (db.session.scalar(select(func.max(Registration.id))) or 0) + 1
    rows = []
    for reg_id in range(start, start + count):
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
                    tokens.derive(SECRET, tokens.Purpose.MANAGE, None, salt)
                ),
                "join_salt": join_salt,
                "join_token_hash": tokens.digest(
                    tokens.derive(SECRET, tokens.Purpose.JOIN, None, join_salt)
                ),
                "join_clicks": 0,
                "reminders_opt_out": False,
                "created_at": confirmed_at,
            }
        )
    for i in range(0, count, 5000):
        db.session.execute(insert(table), rows[i : i + 5000])
    db.session.commit()


def start_worker(database: str, smtp_port: int, log: Path) -> subprocess.Popen:
    """`flask --app wsgi worker` as deployed: production settings, defaults for the rest."""
    env = {
        "PATH": os.environ["PATH"],
        "APP_ENV": "production",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": database,
        "PUBLIC_BASE_URL": "https://webinars.example.org",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "INSTANCE_PATH": os.environ["INSTANCE_PATH"],
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def peak_rss(pid: int) -> str:
    """A worker's peak RSS in MB, and its child's if it has one (a render process)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    peaks = [
        int(re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{p}/status").read_text()).group(1)) / 1024
        for p in [pid, *children]
    ]
    return f"{peaks[0]:.0f}" + "".join(f" (+{p:.0f} its child)" for p in peaks[1:])


def sent(webinar_id: int) -> int:
    """Its emails marked sent, read on a bare DBAPI connection: no transaction of the app's
    (on SQLite that would take the write lock the workers need)."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(
            f"SELECT count(*) FROM outbox WHERE webinar_id = {int(webinar_id)} AND status = 'sent'"  # noqa: S608
        )
        (count,) = cursor.fetchone()
        connection.rollback()
        return count
    finally:
        connection.close()


def deliver(args: argparse.Namespace, database: str) -> dict[str, object]:
    now = datetime.now(UTC).replace(microsecond=0)
    webinar = make_webinar("bench", now + timedelta(days=1), args.count, now)
    webinar_id = webinar.id
    add_registrants(webinar, args.count, now - timedelta(days=1))
    spool = Path(os.environ["INSTANCE_PATH"]) / f"sink-{time.time_ns()}.spool"
    with Sink(spool) as sink:
        logs = [Path(f"{spool}.worker{n}.log") for n in range(args.workers)]
        workers = [start_worker(database, sink.port, log) for log in logs]
        try:
            # The 1-hour reminder falls due LEAD from now, while the workers idle.
            due = datetime.now(UTC) + LEAD
            db.session.get(Webinar, webinar_id).starts_at = due + timedelta(hours=1)
            db.session.commit()
            deadline = time.monotonic() + LEAD.total_seconds() + 300
            while sent(webinar_id) < args.count and time.monotonic() < deadline:
                assert all(w.poll() is None for w in workers), "a worker stopped"
                time.sleep(0.5)
            rss = [peak_rss(w.pid) for w in workers]
        finally:
            for w in workers:
                w.send_signal(signal.SIGTERM)
            stopped = [w.wait(timeout=60) for w in workers]
    assert stopped == [0] * args.workers, stopped
    arrivals = sorted(sink.arrivals.values())
    sent_by = [
        sum(int(n) for n in re.findall(r"mail batch: claimed=\d+ sent=(\d+)", log.read_text()))
        for log in logs
    ]
    return {
        "received": len(sink.received),
        "recipients": len({recipient for recipient, _ in sink.received}),
        "first": arrivals[0] - due.timestamp(),
        "last": arrivals[-1] - due.timestamp(),
        "rate": (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]),
        "sent_by": sent_by,
        "rss": rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: SQLite in a temporary folder)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--plan-count", type=int, default=100_000, help="0: skip")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    database = args.database or f"sqlite:///{os.environ['INSTANCE_PATH']}/bench.db"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "SECRET_KEY": SECRET,
            "PUBLIC_BASE_URL": "https://webinars.example.org",
        }
    )
    with app.app_context():
        db.drop_all()
        db.create_all()
        result = deliver(args, database)
        plan_seconds = None
        if args.plan_count:
            now = datetime.now(UTC).replace(microsecond=0)
            later = make_webinar("plan", now + timedelta(days=2, minutes=30), args.plan_count, now)
            add_registrants(later, args.plan_count, now - timedelta(days=1))
            # Its 1-hour reminder falls due two days on.
            started = time.perf_counter()
            planned = reminders.plan(now + timedelta(days=2, minutes=1))
            db.session.commit()
            plan_seconds = time.perf_counter() - started
            assert planned.reminders == args.plan_count, planned
    assert result["received"] == result["recipients"] == args.count, result
    backend = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
    variant = f"{backend}, {args.workers} worker(s)"
    line = (
        f"- {variant}: {args.count:,} reminders, the last at the SMTP server "
        f"**{result['last']:.0f} s after falling due** (target ≤ 120 s; the first after "
        f"{result['first']:.1f} s, then {result['rate']:,.0f} msg/s); {result['received']:,} "
        f"received by {result['recipients']:,} distinct recipients (sent per worker: "
        f"{', '.join(f'{n:,}' for n in result['sent_by'])}); worker peak RSS "
        f"**{', '.join(result['rss'])} MB** (target < 120)."
    )
    if plan_seconds is not None:
        line += f" Planning {args.plan_count:,} reminders: {plan_seconds:.2f} s."
    print(line)
    if not args.no_write:
        write_section("## Mail after issue 15", variant, [line])


if __name__ == "__main__":
    main()
