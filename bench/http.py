"""HTTP throughput under gunicorn with the production config, against a hello route.

Run by hand (not part of `make test`); needs `wrk` (apt install wrk):

    .venv/bin/python bench/http.py                  # SQLite in a temporary folder
    .venv/bin/python bench/http.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Rate-limit counters go to Redis (--redis, default redis://127.0.0.1:6379/15), as production
keeps them; --memory-limits keeps them in each process instead, the default without REDIS_URL.

1. wrk, alternating rounds: a hello route served by the same app and config
   (bench/wsgi_bench.py), the webinar page, and registration POSTs (a real CSRF token and
   session, a fresh address each time, capacity large). Median req/s, non-2xx/3xx, p99; each
   as a ratio to hello. Also the same POST to a bench route that does everything the
   registration does but its database write (bench/wsgi_bench.py): the gap between the two
   is what the write costs. Requests carry a random X-Forwarded-For (PROXY_HOPS=1, as behind
   nginx) so the per-address rate limits stay on and see many visitors, as in production.
2. The visitor flow: 16 visitors (wrk threads with one connection each, driven by a Lua
   state machine) each open the webinar page, post the form with its token and session
   cookie and follow the redirect to "Check your email", then start again as a new visitor,
   for a fixed time. Completed registrations per second, failures at any step, socket errors.
3. A burst: 2,000 registration attempts, 64 at a time, for 500 places; then two mail workers
   deliver every email to a loopback SMTP server. Checks 500 confirmed and 1,500 waiting,
   reports the time from the first request to the last email.
4. Memory: peak RSS (VmHWM) of each gunicorn worker and of the mail workers after the burst.

Prints the figures and writes them to docs/benchmarks.md ("HTTP" section).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and this file is named like
# the standard library's http package: drop the folder before importing http.client.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import argparse  # noqa: E402
import concurrent.futures  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.options import add_database_and_limits, database_and_limits  # noqa: E402
from bench.report import write_section  # noqa: E402
from bench.smtp_sink import Sink  # noqa: E402

BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
SLUG = "bench-panel"


def _env(
    database: str, instance: str, port: int, smtp_port: int = 25, redis: str | None = None
) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "REDIS_URL"},  # only --redis sets it
        **({"REDIS_URL": redis} if redis else {}),
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
        "WORKER_IDLE_SECONDS": "0.2",
        "PYTHONPATH": str(ROOT),
    }


def listen_port() -> int:
    """A free port below Linux's ephemeral range (32768–60999), so no outgoing connection
    (wrk's, the database client's) can hold it when the second server starts on it."""
    while True:
        port = random.randint(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def prepare(env: dict[str, str], capacity: int) -> None:
    """An empty database at the latest migration with one published webinar."""
    code = """
from eventsapp import create_app
from eventsapp.extensions import db
app = create_app()
with app.app_context():
    db.drop_all()
    db.session.execute(db.text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
    flask(env, "db", "upgrade")
    code = f"""
from datetime import UTC, datetime, timedelta
from eventsapp import create_app
from eventsapp.extensions import db
from eventsapp.models import Organisation, Webinar
app = create_app()
with app.app_context():
    now = datetime.now(UTC)
    org = Organisation(slug="clinic", name="Meadowbank Medical Cannabis Clinic")
    db.session.add(Webinar(
        slug="{SLUG}", title="Cannabis medicines and chronic back pain: a specialist panel",
        summary="Specialists answer your questions.", description="We talk about **pain**.",
        starts_at=now + timedelta(days=10), duration_minutes=60, capacity={capacity},
        seats_taken=0, waitlist_enabled=True, registration_open=True, status="published",
        sequence=0, created_at=now, updated_at=now, hosts=[org]))
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


class Gunicorn:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.host, port = env["BIND"].split(":")
        self.port = int(port)

    def __enter__(self) -> Gunicorn:
        # The access and error log, to look at any non-2xx/3xx answer afterwards.
        self.log = open(Path(self.env["INSTANCE_PATH"]) / "gunicorn.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "bench.wsgi_bench:app"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(self.port, "/hello")[0] == 200:
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
        body = response.read().decode()
        return response.status, body, response.headers.get_all("Set-Cookie") or []
    finally:
        conn.close()


def session_cookie(set_cookies: list[str]) -> str:
    return next(c.split(";", 1)[0] for c in set_cookies if c.startswith("session="))


def session_and_token(port: int) -> tuple[str, str]:
    status, body, cookies = get(port, f"/webinars/{SLUG}")
    assert status == 200, status
    return session_cookie(cookies), CSRF.search(body).group(1)


# Each wrk thread has a Lua state of its own, seeded alike: without a seed per run and per
# thread, every thread of every run would send the same "visitors" (X-Forwarded-For), and
# counters kept in Redis from an earlier run would refuse them (429).
SEEDED_THREADS = """
local id = 0
setup = function(thread) id = id + 1; thread:set("tid", id) end
init = function(args) math.randomseed(__SEED__ + tid * 7919) end
"""
WRK_POST = (
    SEEDED_THREADS
    + """
local n = 0
request = function()
  n = n + 1
  local email = "v" .. tid .. "-" .. n .. "-" .. math.random(1, 1e9) .. "@example.com"
  local body = "csrf_token=__TOKEN__&full_name=Bench+Visitor&consent=y&email=" .. email
  local headers = {}
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["Cookie"] = "__COOKIE__"
  headers["X-Forwarded-For"] = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
  return wrk.format("POST", "__PATH__", headers, body)
end
"""
)
WRK_GET = (
    SEEDED_THREADS
    + """
request = function()
  local headers = {}
  headers["X-Forwarded-For"] = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
  return wrk.format("GET", nil, headers)
end
"""
)


def run_wrk(port: int, path: str, script: str, seconds: int, threads: int, connections: int) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script.replace("__SEED__", str(random.randrange(1, 2**31))))
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            lua.name,
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(lua.name)
    return out


def wrk(port: int, path: str, script: str, seconds: int, connections: int) -> dict[str, float]:
    out = run_wrk(port, path, script, seconds, threads=2, connections=connections)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {
        "rate": rate,
        "bad": int(bad.group(1)) if bad else 0,
        # Connections closed under wrk, e.g. when gunicorn recycles a worker (max_requests).
        "socket": sum(map(int, errors.groups())) if errors else 0,
        "p99_ms": float(p99.group(1)) * scale,
    }


def throughput(port: int, rounds: int, seconds: int) -> dict[str, dict[str, float]]:
    cookie, token = session_and_token(port)
    post = WRK_POST.replace("__TOKEN__", urllib.parse.quote(token)).replace("__COOKIE__", cookie)
    targets = {"hello": ("/hello", WRK_GET), "page": (f"/webinars/{SLUG}", WRK_GET)}
    for name, path in (("register", f"/webinars/{SLUG}"), ("unsaved", f"/bench/unsaved/{SLUG}")):
        targets[name] = (path, post.replace("__PATH__", path))
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (path, script) in targets.items():
            runs[name].append(wrk(port, path, script, seconds, connections=16))
    return {
        name: {
            "rate": statistics.median(r["rate"] for r in results),
            "p99_ms": statistics.median(r["p99_ms"] for r in results),
            "bad": sum(r["bad"] for r in results),
            "socket": sum(r["socket"] for r in results),
            "rounds": [round(r["rate"]) for r in results],
        }
        for name, results in runs.items()
    }


# One visitor per wrk thread (one connection each, so a thread's state is its visitor's):
# open the page, post the form with its token and session cookie, follow the redirect to
# "Check your email"; then a new visitor. Failures are any other answer at any step.
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
local function visitor_headers()
  return {["X-Forwarded-For"] = address}
end
request = function()
  if step == 1 then
    address = "10." .. number .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
    return wrk.format("GET", "/webinars/__SLUG__", visitor_headers())
  elseif step == 2 then
    n = n + 1
    local headers = visitor_headers()
    headers["Cookie"] = cookie
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local body = "csrf_token=" .. token .. "&full_name=Flow+Visitor&consent=y&email=flow"
      .. number .. "-" .. n .. "-" .. math.random(1, 1e9) .. "%40example.com"
    return wrk.format("POST", "/webinars/__SLUG__", headers, body)
  end
  local headers = visitor_headers()
  headers["Cookie"] = cookie
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
  else
    if status == 200 and body:find("Check your email", 1, true) then
      completed = completed + 1
      step = 1
    else
      fail()
    end
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
    out = run_wrk(
        port,
        f"/webinars/{SLUG}",
        WRK_FLOW.replace("__SLUG__", SLUG),
        seconds,
        threads=visitors,
        connections=visitors,
    )
    flow = re.search(r"FLOW completed=(\d+) failed=(\d+)", out)
    done, failed = int(flow.group(1)), int(flow.group(2))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "per_second": done / seconds,
        "done": done,
        "failed": failed,
        "socket": sum(map(int, errors.groups())) if errors else 0,
    }


def _burst_one(args: tuple[int, str, str, int]) -> int:
    port, cookie, token, n = args
    form = urllib.parse.urlencode(
        {
            "csrf_token": token,
            "full_name": "Burst Visitor",
            "email": f"burst{n}@example.com",
            "consent": "y",
        }
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST",
            f"/webinars/{SLUG}",
            body=form,
            headers={
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Forwarded-For": f"10.{n // 250 % 250}.{n % 250}.{n % 200 + 1}",
            },
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def burst(env: dict[str, str], server: Gunicorn, attempts: int, concurrency: int) -> dict:
    cookie, token = session_and_token(server.port)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        statuses = list(
            pool.map(_burst_one, [(server.port, cookie, token, n) for n in range(attempts)])
        )
    posted = time.monotonic() - started
    workers = [
        subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    code = """
from sqlalchemy import func, select
from eventsapp import create_app
from eventsapp.extensions import db
from eventsapp.models import OutboxMessage, Registration
app = create_app()
with app.app_context():
    waiting = db.session.scalar(select(func.count()).where(OutboxMessage.status.in_(("queued", "sending"))))
    sent = db.session.scalar(select(func.count()).where(OutboxMessage.status == "sent"))
    counts = dict(db.session.execute(select(Registration.status, func.count()).group_by(Registration.status)).all())
    print(waiting, sent, counts.get("confirmed", 0), counts.get("waitlisted", 0))
"""
    deadline = time.monotonic() + 600
    while True:
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        ).stdout.split()
        waiting, sent, confirmed, waitlisted = map(int, out)
        if waiting == 0 and sent >= attempts or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    last_email = time.monotonic() - started
    web_rss = [peak_rss_mb(pid) for pid in server.worker_pids()]
    # Each mail worker, then its render process (MAIL_RENDER_PROCESSES=1 in production).
    worker_rss = [peak_rss_mb(p) for w in workers for p in [w.pid, *children(w.pid)]]
    for w in workers:
        w.send_signal(signal.SIGTERM)
        w.wait(timeout=60)
    return {
        "statuses": {s: statuses.count(s) for s in sorted(set(statuses))},
        "posted_seconds": posted,
        "last_email_seconds": last_email,
        "sent": sent,
        "confirmed": confirmed,
        "waitlisted": waitlisted,
        "web_rss": web_rss,
        "worker_rss": worker_rss,
    }


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024, 1)


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_and_limits(parser)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    parser.add_argument("--flow-seconds", type=int, default=20)
    parser.add_argument("--visitors", type=int, default=16)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-http-")
    print(f"gunicorn log: {instance}/gunicorn.log", file=sys.stderr)
    database, redis, backend = database_and_limits(args, instance)
    port = listen_port()

    env = _env(database, instance, port, redis=redis)
    prepare(env, capacity=10_000_000)
    with Gunicorn(env) as server:
        figures = throughput(port, args.rounds, args.seconds)
        flow = visitor_flow(port, args.visitors, args.flow_seconds)

    with Sink(Path(instance) / "burst.spool") as sink:
        env = _env(database, instance, port, smtp_port=sink.port, redis=redis)
        prepare(env, capacity=500)
        with Gunicorn(env) as server:
            burst_result = burst(env, server, attempts=2000, concurrency=64)
    received = len(sink.received)

    hello = figures["hello"]["rate"]
    workers = len(burst_result["web_rss"])

    def line(name: str, label: str, target: str) -> str:
        f = figures[name]
        return (
            f"{label} {f['rate']:,.0f} req/s (**{f['rate'] / hello:.2f}× hello**, {target}; "
            f"rounds {f['rounds']}), p99 {f['p99_ms']:.0f} ms, non-2xx/3xx {f['bad']:.0f}, "
            f"socket errors {f['socket']:.0f}"
        )

    lines = [
        f"- {backend}, wrk 2 threads 16 connections, {args.rounds} alternating rounds of "
        f"{args.seconds} s, gunicorn {workers} sync workers: hello {hello:,.0f} req/s "
        f"(p99 {figures['hello']['p99_ms']:.0f} ms, non-2xx {figures['hello']['bad']:.0f}); "
        + line("page", "webinar page", "target ≥ 0.6")
        + "; "
        + line("register", "registration POST", "target ≥ 0.25")
        + "; "
        + line("unsaved", "the same POST without its database write", "no target")
        + ".",
        f"- {backend}, visitor flow ({args.visitors} visitors, {args.flow_seconds} s, page → "
        f"POST → confirmation page): **{flow['per_second']:.0f} registrations/s** "
        f"({flow['done']} completed, {flow['failed']} failed, socket errors {flow['socket']}; "
        "target ≥ 260, peer anchor 2.6).",
        f"- {backend}, burst: 2,000 attempts, 64 at a time, for 500 places: answers "
        f"{burst_result['statuses']}; **{burst_result['confirmed']} confirmed, "
        f"{burst_result['waitlisted']} waiting**; all posted in "
        f"{burst_result['posted_seconds']:.1f} s; {burst_result['sent']} emails sent by 2 "
        f"workers, {received} received by the SMTP server; **last email "
        f"{burst_result['last_email_seconds']:.1f} s** after the first request.",
        f"- {backend}, memory after the burst (peak RSS, target < 120 MB each): web workers "
        f"{', '.join(f'{r:.0f}' for r in burst_result['web_rss'])} MB; mail worker "
        f"processes (each worker, then its render process) "
        f"{', '.join(f'{r:.0f}' for r in burst_result['worker_rss'])} MB.",
    ]
    print("\n".join(lines))
    if not args.no_write:
        write_section("## HTTP (bench/http.py)", f"{backend},", lines)


if __name__ == "__main__":
    main()
