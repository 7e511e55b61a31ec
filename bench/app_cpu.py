"""CPU per request inside the app, for comparing changes on a noisy machine.

Run by hand (not part of `make test`):

    .venv/bin/python bench/app_cpu.py                  # SQLite in a temporary folder
    .venv/bin/python bench/app_cpu.py --database postgresql+psycopg://postgres@127.0.0.1:5432/test

Rate-limit counters go to Redis as in production (--redis, default as bench/http.py's), or
with --memory-limits to each process's memory.

bench/http.py measures what a visitor gets, under gunicorn and wrk, but on a shared 2-core
virtual machine its figures move by ±30% from one minute to the next. This calls the WSGI
app directly in one process (production config, the same hello route), in interleaved
rounds of hello, webinar page and registration POST (a real session and CSRF token, a fresh
address each time), and reports the median CPU time of each and the median of the per-round
ratios to hello: drift in the machine's speed cancels out within a round. Use it to tell
whether a change made a path cheaper; use bench/http.py for the targets. The database's own
CPU (PostgreSQL's backend) is not counted, the client's side of each round trip is.

Prints the figures and writes them to docs/benchmarks.md ("App CPU" section).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.options import add_database_and_limits, database_and_limits  # noqa: E402
from bench.report import write_section  # noqa: E402

CSRF = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_and_limits(parser)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="bench-cpu-")
    database, redis, backend = database_and_limits(args, instance)

    # bench/http.py prepares the database (migrations, one published webinar) and sets up
    # the production environment; it is a script, so it is loaded from its file.
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_http", ROOT / "bench" / "http.py")
    assert spec and spec.loader
    bench_http = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench_http)
    env = bench_http._env(database, instance, port=8000, redis=redis)
    bench_http.prepare(env, capacity=10_000_000)
    os.environ.update(env)

    import logging

    from werkzeug.test import EnvironBuilder

    from bench.wsgi_bench import app

    logging.disable(logging.CRITICAL)  # the access log is gunicorn's; keep the app's quiet

    def call(environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        answer: list[Any] = []
        body = b"".join(
            app(environ, lambda status, headers, exc=None: answer.append((status, headers)))
        )
        return answer[0][0], answer[0][1], body

    def visitor() -> dict[str, str]:
        return {
            "X-Forwarded-For": f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
        }

    def get(path: str) -> Callable[[], dict[str, Any]]:
        return lambda: EnvironBuilder(path=path, headers=visitor()).get_environ()

    page = f"/webinars/{bench_http.SLUG}"
    _, headers, body = call(get(page)())
    cookie = next(v for k, v in headers if k == "Set-Cookie" and v.startswith("session="))
    token = CSRF.search(body).group(1).decode()  # type: ignore[union-attr]
    count = iter(range(10**9))

    def post() -> dict[str, Any]:
        form = {
            "csrf_token": token,
            "full_name": "Bench Visitor",
            "consent": "y",
            "email": f"cpu{next(count)}-{random.randint(1, 10**9)}@example.com",
        }
        return EnvironBuilder(
            path=page,
            method="POST",
            headers={**visitor(), "Cookie": cookie.split(";", 1)[0]},
            data=form,
        ).get_environ()

    kinds = {"hello": (get("/hello"), 400), "page": (get(page), 400), "post": (post, 150)}
    for make, _ in kinds.values():  # warm up: imports, caches, prepared statements
        for _ in range(30):
            call(make())
    cpu: dict[str, list[float]] = {name: [] for name in kinds}
    for _ in range(args.rounds):
        for name, (make, n) in kinds.items():
            environs = [make() for _ in range(n)]
            start = time.process_time()
            for environ in environs:
                status, _, _ = call(environ)
                assert status.startswith(("200", "303")), (name, status)
            cpu[name].append((time.process_time() - start) / n * 1000)

    def ratio(name: str) -> float:
        return statistics.median(a / h for a, h in zip(cpu[name], cpu["hello"], strict=True))

    median = {name: statistics.median(values) for name, values in cpu.items()}
    line = (
        f"- {backend}, {args.rounds} interleaved rounds (400 hello, 400 page, 150 POST): "
        f"CPU per request hello {median['hello']:.3f} ms, webinar page {median['page']:.3f} ms "
        f"(**{ratio('page'):.2f}× hello**), registration POST {median['post']:.3f} ms "
        f"(**{ratio('post'):.2f}× hello**)."
    )
    print(line)
    if not args.no_write:
        write_section("## App CPU per request (bench/app_cpu.py)", f"{backend},", [line])


if __name__ == "__main__":
    main()
