"""What visitors feel under load: the registration flow, a burst, and memory.

Run by hand (not part of `make test`); needs `wrk` (apt install wrk):

    .venv/bin/python bench/flow.py                        # SQLite in a temporary folder
    .venv/bin/python bench/flow.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench
    git worktree add /tmp/before HEAD~1
    .venv/bin/python bench/flow.py --vs /tmp/before       # side by side with another checkout

1. The visitor flow: 16 visitors (wrk threads with one connection each, driven by a Lua state
   machine) each open the webinar page, post the form with its token and session cookie and
   follow the redirect to "Check your email", then start again as a new visitor. Completed
   registrations per second, failures at any step, socket errors. With --vs, the same flow
   against the other checkout (its own gunicorn and database), in alternating rounds so the
   machine's drift cancels out; the ratio of the medians is the figure to compare.
2. A burst: 2,000 registration attempts, 64 at a time, for 500 places, while two mail
   workers deliver to a loopback SMTP server. Checks 500 confirmed and 1,500 waiting; reports
   each email's time from its POST's answer to its arrival (p50, p99) and the time from the
   first request to the last email.
3. Memory: peak RSS (VmHWM) of each gunicorn worker and of each mail worker after the burst.

Requests carry a random X-Forwarded-For (PROXY_HOPS=1, as behind nginx) so the per-address
rate limits see many visitors; their counters are in Redis (--redis), as in production.
Prints the figures and writes them to docs/benchmarks.md ("Visitor flow" section).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import write_section  # noqa: E402
from bench.smtp_sink import Sink  # noqa: E402

BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SLUG = "bench-panel"


def _env(tree: Path, database: str, instance: str, port: int, redis: str, smtp_port: int = 25):  # type: ignore[no-untyped-def]
    return {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},
        "PYTHONPATH": str(tree),
        "REDIS_URL": redis,
        "APP_ENV": "production",
        "SECRET_KEY": "bench-secret-" + "k" * 40,
        "DATABASE_URL": database,
        "INSTANCE_PATH": instance,
        "PUBLIC_BASE_URL": "https://webinars.example.org",
        "PROXY_HOPS": "1",
        "BIND": f"127.0.0.1:{port}",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_DEFAULT_SENDER": "Back Pain Webinars <webinars@example.org>",
    }


def listen_port() -> int:
    """A free port below Linux's ephemeral range, so no outgoing connection can hold it."""
    while True:
        port = random.randint(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def python(tree: Path, env: dict[str, str], code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tree, env=env, check=True, capture_output=True, text=True
    ).stdout


def prepare(tree: Path, env: dict[str, str], capacity: int) -> None:
    """An empty database at the tree's latest migration with one published webinar, and no
    rate-limit counters left from an earlier run (the burst's addresses are the same each
    time: a second burst within the hour would otherwise be refused)."""
    python(
        tree,
        env,
        """
import os, redis
redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
from eventsapp import create_app
from eventsapp.extensions import db
with create_app().app_context():
    if db.engine.dialect.name == "postgresql":  # whatever another checkout left there too
        db.session.execute(db.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        db.drop_all()
        db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()
""",
    )
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
    )
    python(
        tree,
        env,
        f"""
from datetime import UTC, datetime, timedelta
from eventsapp import create_app
from eventsapp.extensions import db
from eventsapp.models import Organisation, Webinar
with create_app().app_context():
    now = datetime.now(UTC)
    org = Organisation(slug="clinic", name="Meadowbank Medical Cannabis Clinic")
    db.session.add(Webinar(
        slug="{SLUG}", title="Cannabis medicines and chronic back pain: a specialist panel",
        summary="Specialists answer your questions.", description="We talk about **pain**.",
        starts_at=now + timedelta(days=10), duration_minutes=60, capacity={capacity},
        seats_taken=0, waitlist_enabled=True, registration_open=True, status="published",
        sequence=0, created_at=now, updated_at=now, hosts=[org]))
    db.session.commit()
""",
    )


class Gunicorn:
    def __init__(self, tree: Path, env: dict[str, str]) -> None:
        self.tree, self.env = tree, env
        self.port = int(env["BIND"].split(":")[1])

    def __enter__(self) -> Gunicorn:
        self.log = open(Path(self.env["INSTANCE_PATH"]) / "gunicorn.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "wsgi:app"],
            cwd=self.tree,
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/healthz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid)

    def __exit__(self, *exc: object) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.log.close()


def get(port: int, path: str) -> tuple[int, str, list[str]]:
    """Status, body and the Set-Cookie headers of a GET."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return (
            response.status,
            response.read().decode(),
            response.headers.get_all("Set-Cookie") or [],
        )
    finally:
        conn.close()


def session_and_token(port: int) -> tuple[str, str]:
    status, body, cookies = get(port, f"/webinars/{SLUG}")
    assert status == 200, status
    cookie = next(c.split(";", 1)[0] for c in cookies if c.startswith("session="))
    return cookie, CSRF.search(body).group(1)  # type: ignore[union-attr]


# One visitor per wrk thread (one connection each, so a thread's state is its visitor's).
# Each thread is seeded per run: counters kept in Redis from an earlier run must not see the
# same "visitors" again (429).
WRK_FLOW = """
local threads = {}
setup = function(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end
init = function(args)
  math.randomseed(__SEED__ + number * 7919)
  completed, failed, step, n = 0, 0, 1, 0
end
request = function()
  local headers = {["X-Forwarded-For"] = address}
  if step == 1 then
    address = "10." .. number .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
    return wrk.format("GET", "/webinars/__SLUG__", {["X-Forwarded-For"] = address})
  end
  headers["Cookie"] = cookie
  if step == 2 then
    n = n + 1
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local body = "csrf_token=" .. token .. "&full_name=Flow+Visitor&consent=y&email=flow"
      .. number .. "-" .. n .. "-" .. math.random(1, 1e9) .. "%40example.com"
    return wrk.format("POST", "/webinars/__SLUG__", headers, body)
  end
  return wrk.format("GET", location, headers)
end
local function fail()
  failed = failed + 1
  step = 1
end
response = function(status, headers, body)
  if step == 1 then
    token = body:match('name="csrf_token" type="hidden" value="([^"]+)"')
    cookie = (headers["Set-Cookie"] or ""):match("^(session=[^;]+)")
    if status == 200 and token and cookie then step = 2 else fail() end
  elseif step == 2 then
    location = headers["Location"]
    if status == 303 and location and location:find("/registered", 1, true) then
      step = 3
    else
      fail()
    end
  elseif status == 200 and body:find("Check your email", 1, true) then
    completed = completed + 1
    step = 1
  else
    fail()
  end
end
done = function(summary, latency, requests)
  local c, f = 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("completed")
    f = f + thread:get("failed")
  end
  io.write(string.format("FLOW completed=%d failed=%d\\n", c, f))
end
"""


def visitor_flow(port: int, visitors: int, seconds: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        script = WRK_FLOW.replace("__SLUG__", SLUG)
        lua.write(script.replace("__SEED__", str(random.randrange(1, 2**31))))
    out = subprocess.run(
        [
            "wrk",
            f"-t{visitors}",
            f"-c{visitors}",
            f"-d{seconds}s",
            "-s",
            lua.name,
            f"http://127.0.0.1:{port}/webinars/{SLUG}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(lua.name)
    flow = re.search(r"FLOW completed=(\d+) failed=(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    done = int(flow.group(1))  # type: ignore[union-attr]
    return {
        "per_second": done / seconds,
        "failed": int(flow.group(2)),  # type: ignore[union-attr]
        "socket": sum(map(int, errors.groups())) if errors else 0,
    }


def _post(args: tuple[int, str, str, int]) -> tuple[int, str, float]:
    """(status, address, when the answer came)."""
    port, cookie, token, n = args
    email = f"burst{n}@example.com"
    form = {"csrf_token": token, "full_name": "Burst Visitor", "email": email, "consent": "y"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST",
            f"/webinars/{SLUG}",
            body=urllib.parse.urlencode(form),
            headers={
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": f"10.{n // 250 % 250}.{n % 250}.{n % 200 + 1}",
            },
        )
        response = conn.getresponse()
        response.read()
        return response.status, email, time.time()
    finally:
        conn.close()


def burst(tree: Path, env: dict[str, str], server: Gunicorn, attempts: int) -> dict:
    """Registrations for 500 places while two mail workers run, as during an announcement."""
    workers = [
        subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "worker"],
            cwd=tree,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    cookie, token = session_and_token(server.port)
    started = time.time()
    with concurrent.futures.ThreadPoolExecutor(64) as pool:
        answers = list(pool.map(_post, [(server.port, cookie, token, n) for n in range(attempts)]))
    posted = time.time() - started
    registered = sum(status == 303 for status, _, _ in answers)  # each one queues an email
    count = """
from sqlalchemy import func, select
from eventsapp import create_app
from eventsapp.extensions import db
from eventsapp.models import OutboxMessage, Registration
with create_app().app_context():
    left = db.session.scalar(select(func.count()).where(OutboxMessage.status.in_(("queued", "sending"))))
    sent = db.session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
    counts = dict(db.session.execute(select(Registration.status, func.count()).group_by(Registration.status)).all())
    print(left, sent, counts.get("confirmed", 0), counts.get("waitlisted", 0))
"""
    deadline = time.monotonic() + 600
    while True:
        left, sent, confirmed, waitlisted = map(int, python(tree, env, count).split())
        if (left == 0 and sent >= registered) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    web_rss = [peak_rss_mb(pid) for pid in server.worker_pids()]
    worker_rss = [peak_rss_mb(w.pid) for w in workers]
    for w in workers:
        w.send_signal(signal.SIGTERM)
        w.wait(timeout=60)
    statuses = [status for status, _, _ in answers]
    return {
        "statuses": {s: statuses.count(s) for s in sorted(set(statuses))},
        "posted_seconds": posted,
        "answered": {email: when for _, email, when in answers},
        "started": started,
        "sent": sent,
        "confirmed": confirmed,
        "waitlisted": waitlisted,
        "web_rss": web_rss,
        "worker_rss": worker_rss,
    }


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024, 1)  # type: ignore[union-attr]


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _other_database(database: str, instance: str) -> str:
    """The --vs checkout's own database: a second SQLite file, or `<name>_vs` on PostgreSQL."""
    if not database.startswith("postgresql"):
        return f"sqlite:///{instance}/bench-vs.db"
    import psycopg

    base, name = database.rsplit("/", 1)
    with psycopg.connect(
        database.replace("postgresql+psycopg", "postgresql"), autocommit=True
    ) as c:
        if not c.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name + "_vs",)
        ).fetchone():
            c.execute(f'CREATE DATABASE "{name}_vs"')
    return f"{base}/{name}_vs"


def _flow_line(args: argparse.Namespace, backend: str, rates: dict, failures: int) -> str:
    this = statistics.median(rates["this"])
    line = (
        f"- {backend} + Redis, visitor flow ({args.visitors} visitors, {args.rounds} rounds of "
        f"{args.seconds} s, page → POST → confirmation page): **{this:.0f} registrations/s** "
        f"(rounds {[round(r) for r in rates['this']]})"
    )
    if args.vs:
        vs = statistics.median(rates["vs"])
        line += (
            f"; {args.vs.name} alternating with it: {vs:.0f}/s (rounds "
            f"{[round(r) for r in rates['vs']]}); **ratio {this / vs:.2f}** (target ≥ 0.85)"
        )
    return line + f"; failures and socket errors {failures}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: SQLite in a temporary folder)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15", help="rate-limit counters")
    parser.add_argument("--vs", type=Path, help="another checkout to compare the flow with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=15, help="per flow round")
    parser.add_argument("--visitors", type=int, default=16)
    parser.add_argument("--no-burst", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-flow-")
    print(f"logs: {instance}", file=sys.stderr)
    database = args.database or f"sqlite:///{instance}/bench.db"
    backend = "PostgreSQL" if database.startswith("postgresql") else "SQLite"
    trees = {"this": ROOT}
    if args.vs:
        trees["vs"] = args.vs.resolve()
    rates: dict[str, list[float]] = {name: [] for name in trees}
    failures = 0
    servers = {}
    for name, tree in trees.items():
        folder = Path(instance) / name
        folder.mkdir()
        url = database if name == "this" else _other_database(database, instance)
        env = _env(tree, url, str(folder), listen_port(), args.redis)
        prepare(tree, env, capacity=10_000_000)
        servers[name] = Gunicorn(tree, env).__enter__()
    try:
        for round_ in range(args.rounds):  # --rounds 0: the burst alone
            order = list(trees) if round_ % 2 == 0 else list(reversed(trees))
            for name in order:
                flow = visitor_flow(servers[name].port, args.visitors, args.seconds)
                rates[name].append(flow["per_second"])
                failures += int(flow["failed"] + flow["socket"])
    finally:
        for server in servers.values():
            server.__exit__()
    lines: list[str] = []
    if args.rounds:
        lines.append(_flow_line(args, backend, rates, failures))

    if not args.no_burst:
        with Sink(Path(instance) / "burst.spool") as sink:
            env = _env(ROOT, database, instance, listen_port(), args.redis, smtp_port=sink.port)
            prepare(ROOT, env, capacity=500)
            with Gunicorn(ROOT, env) as server:
                result = burst(ROOT, env, server, attempts=2000)
        delays = sorted(
            sink.arrivals[email] - answered
            for email, answered in result["answered"].items()
            if email in sink.arrivals
        )
        last = max(sink.arrivals.values()) - result["started"]
        lines += [
            f"- {backend} + Redis, burst: 2,000 attempts, 64 at a time, for 500 places, two "
            f"mail workers running: answers {result['statuses']}; **{result['confirmed']} "
            f"confirmed, {result['waitlisted']} waiting**; all answered in "
            f"{result['posted_seconds']:.1f} s; {len(sink.received)} emails received; each "
            f"email after its POST's answer: p50 {statistics.median(delays):.1f} s, **p99 "
            f"{delays[int(len(delays) * 0.99) - 1]:.1f} s** (target < 10); **last email "
            f"{last:.1f} s** after the first request (target < 15).",
            f"- {backend} + Redis, peak RSS after the burst (target < 120 MB): web workers "
            f"{', '.join(f'{r:.0f}' for r in result['web_rss'])} MB; mail workers "
            f"{', '.join(f'{r:.0f}' for r in result['worker_rss'])} MB.",
        ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("## Visitor flow (bench/flow.py)", f"{backend} ", lines)


if __name__ == "__main__":
    main()
