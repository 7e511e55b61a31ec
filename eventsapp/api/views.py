"""The public JSON API (README "JSON API"): only what the public pages already show; no
registrant, account or joining link is ever read here. The organisations' private API,
with keys, is api/private.py (docs/api.md).

Every public response (errors included) allows any origin (CORS); private responses never
do, so a key cannot be used from a browser on another site. No /api/ response sets a
cookie (the session is never saved for /api/: cookie_sessions.py). Successful public reads
carry an ETag (eventsapp/public/conditional.py: a hash of the body, so never stale) and may
be kept for a minute by browsers and shared caches; they depend on neither the Origin nor
cookies, so they need no `Vary`.
"""

from __future__ import annotations

import time

from flask import Response, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from eventsapp.api import bp
from eventsapp.api.openapi import DOCUMENT
from eventsapp.extensions import limiter
from eventsapp.public import conditional
from eventsapp.services import records, webinars
from eventsapp.uktime import utcnow

PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"
CACHE_CONTROL = "public, max-age=60"
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    429: "Too many requests",
    503: "Service unavailable",
    500: "Internal server error",
}
# Endpoints of the private API (api/private.py adds them): no CORS, never cached.
PRIVATE_ENDPOINTS: set[str] = set()


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def is_private_request() -> bool:
    return request.endpoint in PRIVATE_ENDPOINTS


def problem(
    status: int,
    exc: HTTPException | None = None,
    *,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """An RFC 9457 problem document (type about:blank: the title is the status's own;
    `detail`, when given, says in plain words what to do)."""
    body: dict[str, object] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    valid_methods = getattr(exc, "valid_methods", None)
    if status == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(sorted(valid_methods))
    if status == 429:
        response.headers["Retry-After"] = str(_retry_after())
    response.headers["Cache-Control"] = "no-cache"
    response.headers.update(headers or {})
    return response


def _retry_after() -> int:
    """Whole seconds until the limit that was hit lets a request through again."""
    hit = limiter.current_limit
    if hit is None:
        return 60
    return max(1, int(hit.reset_at - time.time()) + 1)


@bp.get("/webinars")
def list_webinars() -> Response:
    now = utcnow()
    items = [
        records.webinar_record(w, webinars.availability(w, now)) for w in webinars.upcoming(now)
    ]
    return jsonify(webinars=items)


@bp.get("/webinars/<slug>")
def get_webinar(slug: str) -> Response:
    webinar = webinars.public_by_slug(slug, with_hosts=True)
    if webinar is None:
        abort(404)
    return jsonify(records.webinar_record(webinar, webinars.availability(webinar, utcnow())))


@bp.get("/openapi.json")
def openapi() -> Response:
    document = {**DOCUMENT, "servers": [{"url": current_app.config["PUBLIC_BASE_URL"]}]}
    return jsonify(document)


@bp.after_request
def _cacheable(response: Response) -> Response:
    if is_private_request():
        return response
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response.headers["Cache-Control"] = CACHE_CONTROL
        return conditional.make_conditional(response)
    return response


@bp.after_app_request
def _cors(response: Response) -> Response:
    """On every public /api/ response, errors too, so browsers on other sites can read
    them. Private responses: never stored, never readable by another site's page."""
    if not is_api_request():
        return response
    headers = response.headers
    if is_private_request():
        headers["Cache-Control"] = "no-store"
        response.vary.add("Authorization")
        return response
    headers["Access-Control-Allow-Origin"] = "*"
    headers["Access-Control-Expose-Headers"] = "ETag"
    if request.method == "OPTIONS" and response.status_code == 200:  # a CORS preflight
        headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        headers["Access-Control-Allow-Headers"] = "If-None-Match"
        headers["Access-Control-Max-Age"] = "86400"
        response.status_code = 204
        response.set_data(b"")
        headers.remove("Content-Type")
    return response
