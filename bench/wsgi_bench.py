"""The production app plus a hello route, for bench/http.py's baseline.

`gunicorn bench.wsgi_bench:app`: the same create_app(), configuration, extensions and
request hooks (CSRF, rate limits, headers, SQLite begin mode) as wsgi.py; /hello returns
a fixed string without touching the database or templates.
"""

from eventsapp import create_app

app = create_app()


@app.get("/hello")
def hello() -> str:
    return "Hello"
