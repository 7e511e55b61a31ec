"""No timing tells: does the server answer an address it knows as fast as a new one?

Run by hand (not part of `make test`):

    .venv/bin/python bench/timing.py [--database postgresql+psycopg://postgres@127.0.0.1:5432/bench]
                                     [--samples 200]

Two pairs, each measured `--samples` times, interleaved so that drift hits both alike:
- registering: a new address, and an address that already holds a place;
- asking for a password reset: an address with an organiser account, and one without.
The time is the whole request in this process (Flask's test client, real database),
median and 90th percentile in milliseconds. Target (issue 18): medians within 0.5 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p90 = ordered[int(len(ordered) * 0.9)]
    return f"median {statistics.median(samples):6.2f} ms, p90 {p90:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", default="")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="timing-")
    os.environ.update(APP_ENV="testing", INSTANCE_PATH=instance)
    from eventsapp import create_app
    from eventsapp.extensions import db
    from eventsapp.models import Organisation, Webinar, WebinarStatus
    from eventsapp.services import accounts
    from tests.support import CSRF_RE

    config = {"RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost"}
    config["SQLALCHEMY_DATABASE_URI"] = args.database or f"sqlite:///{instance}/t.db"
    app = create_app(config)
    now = datetime.now(UTC)
    with app.app_context():
        db.drop_all()
        db.create_all()
        org = Organisation(slug="clinic", name="Clinic")
        db.session.add(
            Webinar(
                slug="w",
                title="Timing",
                starts_at=now + timedelta(days=30),
                capacity=100_000,
                seats_taken=0,
                status=WebinarStatus.PUBLISHED,
                created_at=now,
                updated_at=now,
                hosts=[org],
            )
        )
        accounts.create_user(
            email="known@example.org",
            name="Known",
            password="a long passphrase for timing",  # noqa: S106 (a benchmark account)
            now=now,
            organisation=org,
        )
        db.session.commit()
    client = app.test_client()
    page = client.get("/webinars/w").get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, "no CSRF token"
    token = match.group(1) or match.group(2)
    form = {"full_name": "Ann Example", "consent": "y", "csrf_token": token}

    def timed(url: str, data: dict[str, str]) -> float:
        start = time.perf_counter()
        client.post(url, data=data)
        return (time.perf_counter() - start) * 1000

    register, reset = "/webinars/w", "/organiser/forgot-password"
    client.post(register, data={**form, "email": "held@example.org"})
    pairs: dict[str, tuple[list[float], list[float]]] = {"register": ([], []), "reset": ([], [])}
    for n in range(args.samples):
        new, held = pairs["register"]
        new.append(timed(register, {**form, "email": f"n{n}@example.org"}))
        held.append(timed(register, {**form, "email": "held@example.org"}))
        known, unknown = pairs["reset"]
        known.append(timed(reset, {"csrf_token": token, "email": "known@example.org"}))
        unknown.append(timed(reset, {"csrf_token": token, "email": f"u{n}@example.org"}))
    database = "PostgreSQL" if args.database else "SQLite"
    print(f"{database}, {args.samples} samples each, interleaved")
    for name, (a, b) in pairs.items():
        labels = (
            ("new address", "already registered")
            if name == "register"
            else ("account", "no account")
        )
        gap = statistics.median(b) - statistics.median(a)
        print(f"{name:9} {labels[0]:>18}: {_ms(a)}")
        print(f"{'':9} {labels[1]:>18}: {_ms(b)}   difference of medians {gap:+.2f} ms")


if __name__ == "__main__":
    main()
