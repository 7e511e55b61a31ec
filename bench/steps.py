"""Where the visitor flow's time goes: each step's time and SQL statements, in-process.

Run by hand (not part of `make test`):

    .venv/bin/python bench/steps.py                      # SQLite in a temporary folder
    .venv/bin/python bench/steps.py --vs /tmp/before     # side by side with another checkout
    .venv/bin/python bench/steps.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench

`bench/flow.py` measures what visitors feel (wrk against gunicorn); this says why a figure
moved. The same three steps as the flow (open the webinar page, post the form, follow the
redirect to "Check your email") through Flask's test client, one process, no network, in
the production configuration with the rate-limit counters in Redis: milliseconds a step and
the SQL statements each step runs. With --vs, the other checkout runs the same steps on a
database of its own, the two alternating round by round so the machine's drift falls on both.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.flow import SLUG, _env, _other_database, prepare  # noqa: E402

# Runs inside the tree being measured (its own PYTHONPATH): prints one JSON line.
_STEPS = f"""
import json, random, re, sys, time
from sqlalchemy import event
from eventsapp import create_app
from eventsapp.extensions import db
app = create_app()
statements = []
with app.app_context():
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
token = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
steps = ("page", "post", "registered")
ms, sql = dict.fromkeys(steps, 0.0), dict.fromkeys(steps, 0)
def visitor(i, counted):
    client = app.test_client()
    env = {{"REMOTE_ADDR": "127.0.0.1",
           "HTTP_X_FORWARDED_FOR": f"10.{{i % 250}}.{{random.randint(0, 255)}}.{{random.randint(1, 254)}}"}}
    def step(name, call):
        statements.clear()
        start = time.perf_counter()
        response = call()
        if counted:
            ms[name] += time.perf_counter() - start
            sql[name] += len(statements)
        return response
    page = step("page", lambda: client.get("/webinars/{SLUG}", environ_base=env))
    form = {{"csrf_token": token.search(page.get_data(as_text=True)).group(1),
            "full_name": "Flow Visitor", "consent": "y",
            "email": f"flow{{i}}-{{random.randrange(10**9)}}@example.com"}}
    posted = step("post", lambda: client.post("/webinars/{SLUG}", data=form, environ_base=env))
    assert posted.status_code == 303, posted.status_code
    done = step("registered", lambda: client.get(posted.headers["Location"], environ_base=env))
    assert done.status_code == 200
n = int(sys.argv[1])
for i in range(30):
    visitor(i, False)
for i in range(n):
    visitor(10_000 + i, True)
print(json.dumps({{s: [ms[s] / n * 1000, sql[s] / n] for s in steps}}))
"""


def run(tree: Path, env: dict[str, str], visitors: int) -> dict[str, list[float]]:
    done = subprocess.run(
        [sys.executable, "-c", _STEPS, str(visitors)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"{tree}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", help="SQLAlchemy URL (default: SQLite in a temporary folder)")
    parser.add_argument("--vs", type=Path, help="another checkout to compare with")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/13", help="rate-limit counters (--vs: db + 1)"
    )
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--visitors", type=int, default=300, help="per round")
    args = parser.parse_args()
    trees = {"this": ROOT, **({"vs": args.vs.resolve()} if args.vs else {})}
    with tempfile.TemporaryDirectory(prefix="steps-") as folder:
        envs = {}
        for number, (name, tree) in enumerate(trees.items()):
            instance = Path(folder) / name
            instance.mkdir()
            database = args.database or f"sqlite:///{instance}/app.db"
            if number:  # the other tree: its own database and rate-limit counters
                database = _other_database(database, str(instance))
            base, db_number = args.redis.rsplit("/", 1)
            redis = f"{base}/{int(db_number) + number}"
            env = _env(tree, database, str(instance), 0, redis)
            prepare(tree, env, capacity=10_000_000)
            envs[name] = env
        results: dict[str, list[dict[str, list[float]]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                results[name].append(run(tree, envs[name], args.visitors))
    print(f"{'step':<12}" + "".join(f"{name:>22}" for name in trees))
    for step in ("page", "post", "registered"):
        cells = []
        for name in trees:
            times = sorted(r[step][0] for r in results[name])
            cells.append(f"{times[len(times) // 2]:8.2f} ms {results[name][0][step][1]:4.0f} SQL")
        print(f"{step:<12}" + "".join(f"{c:>22}" for c in cells))


if __name__ == "__main__":
    main()
