"""The public JSON API (README "JSON API"). Only what the public pages already show:
no registrant, account or joining link is ever read here.

Every response under /api/ (errors included) allows any origin (CORS) and sets no cookie
(the session is never saved for /api/: cookie_sessions.py). Successful reads carry an ETag
(eventsapp/public/conditional.py: a hash of the body, so never stale) and may be kept for a
minute by browsers and shared caches. Nothing depends on the Origin or on cookies, so no
`Vary` is needed.
"""

from __future__ import annotations

from flask import Response, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from eventsapp.api import bp
from eventsapp.api.openapi import DOCUMENT
from eventsapp.public import conditional
from eventsapp.services import records, webinars
from eventsapp.uktime import utcnow

PREFIX = "/api/"
PROBLEM_TYPE = "application/problem+json"
CACHE_CONTROL = "public, max-age=60"
_TITLES = {
    404: "Not found",
    405: "Method not allowed",
    400: "Bad request",
    429: "Too many requests",
    503: "Service unavailable",
    500: "Internal server error",
}


def is_api_request() -> bool:
    return request.path.startswith(PREFIX)


def problem(status: int, exc: HTTPException | None = None) -> Response:
    """An RFC 9457 problem document (type about:blank: the title is the status's own)."""
    response = jsonify(type="about:blank", title=_TITLES.get(status, "Error"), status=status)
    response.status_code = status
    response.mimetype = PROBLEM_TYPE
    valid_methods = getattr(exc, "valid_methods", None)
    if status == 405 and valid_methods:
        response.headers["Allow"] = ", ".join(sorted(valid_methods))
    response.headers["Cache-Control"] = "no-cache"
    return response


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
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        response.headers["Cache-Control"] = CACHE_CONTROL
        return conditional.make_conditional(response)
    return response


@bp.after_app_request
def _cors(response: Response) -> Response:
    """On every /api/ response, errors too, so browsers on other sites can read them."""
    if not is_api_request():
        return response
    headers = response.headers
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
