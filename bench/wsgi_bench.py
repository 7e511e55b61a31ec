"""The production app plus two baseline routes, for bench/http.py.

`gunicorn bench.wsgi_bench:app`: the same create_app(), configuration, extensions and
request hooks (CSRF, rate limits, headers, SQLite begin mode) as wsgi.py, plus
- /hello: a fixed string without touching the database or templates (the ceiling);
- POST /bench/unsaved/<slug>: the registration POST up to, not including, its write —
  the same CSRF check, session, rate limits, kept webinar data, form and redirect as
  public.register — so the figures show what the write itself costs.
"""

from flask import abort, redirect, url_for
from werkzeug.wrappers import Response

from eventsapp import create_app, rate_limits
from eventsapp.public.forms import RegistrationForm
from eventsapp.services import webinars

app = create_app()


@app.get("/hello")
def hello() -> str:
    return "Hello"


@app.post("/bench/unsaved/<slug>")
@rate_limits.registration_per_ip
@rate_limits.registration_per_email
def unsaved(slug: str) -> Response | tuple[str, int]:
    target = webinars.registration_target(slug)
    if target is None:
        abort(404)
    form = RegistrationForm()
    form.set_hosts(target.hosts)
    if not form.validate_on_submit():
        return "invalid", 400
    return redirect(url_for("public.registered", slug=slug, place="confirmed"), code=303)
