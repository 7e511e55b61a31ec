"""The widget's pages: the list, one webinar with the registration form, "check your email".

They run in a frame on another site, where the browser does not send this site's
SameSite=Lax session cookie. So nothing here uses the session: the registration POST is
exempt from the session's CSRF token and is accepted only when the browser says it came
from this site's own pages (Origin, or Sec-Fetch-Site), and the "registered" page learns
what to say from a short-lived signed value in its URL. The form, its rules and the
registration itself are the site's own (public/views.attempt_registration).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from eventsapp import locales, rate_limits
from eventsapp.embed import bp
from eventsapp.extensions import csrf, db
from eventsapp.links import external_url
from eventsapp.models import Organisation, Webinar
from eventsapp.public import page_cache
from eventsapp.public.forms import RegistrationForm
from eventsapp.public.views import attempt_registration, registration_form_for
from eventsapp.services import webinars
from eventsapp.services.webinars import Availability
from eventsapp.uktime import utcnow

# How long the "check your email" page can be reloaded after registering.
REGISTERED_MAX_AGE = 3600
_DEFAULT_PORTS = {"http": 80, "https": 443}
_ERROR_TITLES = {  # lazy: in the frame's language (/cy/embed/… is Welsh: eventsapp/locales.py)
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("Page not found"),
    413: lazy_gettext("What you sent is too large"),
    429: lazy_gettext("Too many attempts"),
}


def _origin(url: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an origin or URL, with the default port filled in."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.scheme.lower(), parts.hostname.lower(), port


def from_this_site() -> bool:
    """Whether the browser says this request came from one of this site's own pages.

    Origin is sent with every POST by current browsers; "null" (a sandboxed or opaque
    origin) is refused. Without it, Sec-Fetch-Site must say "same-origin"."""
    origin = request.headers.get("Origin")
    if origin is not None:
        own = _origin(current_app.config["PUBLIC_BASE_URL"])
        return own is not None and _origin(origin) == own
    return request.headers.get("Sec-Fetch-Site") == "same-origin"


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt="embed-registered")


def _host_or_404() -> Organisation | None:
    """?host=<organisation slug>: only that organisation's webinars. Unknown: a 404."""
    slug = request.args.get("host")
    if slug is None:
        return None
    found = db.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()
    if found is None:
        abort(404)
    return found


def _webinar_or_404(slug: str) -> Webinar:
    webinar = webinars.public_by_slug(slug)
    if webinar is None:
        abort(404)
    return webinar


def _host_slug(host: Organisation | None) -> str | None:
    return host.slug if host else None


@bp.errorhandler(HTTPException)
def _error(exc: HTTPException) -> tuple[str, int]:
    """Errors inside the frame: the frame's own short page, not the whole site's."""
    db.session.rollback()
    code = exc.code or 500
    title = str(_ERROR_TITLES.get(code, lazy_gettext("Sorry, something went wrong")))
    return render_template("embed/error.html", code=code, title=title), code


@bp.get("/")
def webinar_list() -> str:
    host = _host_or_404()
    now = utcnow()
    items = [
        (w, webinars.availability(w, now))
        for w in webinars.upcoming(now)
        if host is None or host.id in {h.id for h in w.hosts}
    ]
    return render_template(
        "embed/list.html",
        items=items,
        host=host,
        site_url=external_url("public.home"),
    )


def _render_webinar(
    webinar: Webinar,
    form: RegistrationForm,
    state: Availability,
    host: Organisation | None,
    refused: Availability | None = None,
) -> str:
    return render_template(
        "embed/webinar.html",
        webinar=webinar,
        form=form,
        state=state,
        refused=refused,
        host=_host_slug(host),
        page_url=external_url("public.webinar", locales.current(), slug=webinar.slug),
    )


@bp.get("/webinars/<slug>")
def webinar(slug: str) -> str:
    host = _host_or_404()
    webinar = _webinar_or_404(slug)
    state = webinars.availability(webinar, utcnow())
    # Kept like the site's own webinar page; this one carries no CSRF token.
    key = ("embed", webinar.id, webinar.content_version, state, _host_slug(host))
    return page_cache.page(
        key,
        webinar.seats_left,
        lambda: _render_webinar(webinar, registration_form_for(webinar), state, host),
        has_form=False,
    )


@bp.post("/webinars/<slug>")
@rate_limits.registration_per_ip
@rate_limits.registration_per_email
@csrf.exempt  # no session cookie in a cross-site frame: from_this_site() instead
def register(slug: str) -> tuple[str, int] | BaseResponse:
    if not from_this_site():
        db.session.rollback()
        page_url = external_url("public.webinar", locales.current(), slug=slug)
        return render_template("embed/refused.html", page_url=page_url), 400
    host = _host_or_404()
    attempt = attempt_registration(slug)
    if attempt.place:
        shown = _signer().dumps({"slug": slug, "place": attempt.place})
        return redirect(  # #main: as the site's own page (public/views.register)
            url_for(".registered", slug=slug, r=shown, host=_host_slug(host), _anchor="main"),
            code=303,
        )
    page = _render_webinar(attempt.webinar, attempt.form, attempt.state, host, attempt.refused)
    return page, attempt.status


@bp.get("/webinars/<slug>/registered")
def registered(slug: str) -> str | tuple[str, int]:
    host = _host_or_404()
    webinar = _webinar_or_404(slug)
    try:
        shown = _signer().loads(request.args.get("r", ""), max_age=REGISTERED_MAX_AGE)
    except BadSignature:  # also an expired one (SignatureExpired)
        shown = None
    if not isinstance(shown, dict) or shown.get("slug") != slug:
        return render_template("embed/expired.html", webinar=webinar, host=_host_slug(host)), 400
    return render_template(
        "embed/registered.html",
        webinar=webinar,
        place="waitlist" if shown.get("place") == "waitlist" else "confirmed",
        host=_host_slug(host),
    )
