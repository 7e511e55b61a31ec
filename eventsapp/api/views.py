"""The public JSON API (README "JSON API"). Only what the public pages already show:
no registrant, account or joining link is ever read here.

Every response under /api/ (errors included) allows any origin (CORS) and sets no cookie
(the session is never saved for /api/: cookie_sessions.py). Successful reads carry an ETag
(eventsapp/public/conditional.py: a hash of the body, so never stale) and may be kept for a
minute by browsers and shared caches. Nothing depends on the Origin or on cookies, so no
`Vary` is needed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, abort, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from eventsapp import uktime
from eventsapp.api import bp
from eventsapp.api.openapi import DOCUMENT
from eventsapp.links import external_url
from eventsapp.models import Organisation, PanelMember, Webinar
from eventsapp.public import conditional
from eventsapp.services import webinars
from eventsapp.services.webinars import Availability
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


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _host(organisation: Organisation) -> dict[str, Any]:
    return {"name": organisation.name, "website": organisation.website or None}


def _panel_member(member: PanelMember) -> dict[str, Any]:
    speaker = member.speaker
    photo = None
    if speaker.photo_filename:
        photo = external_url(
            "public.speaker_photo", speaker_id=speaker.id, v=speaker.photo_filename[:8]
        )
    return {
        "name": speaker.name,
        "role": member.role,
        "professional_title": speaker.professional_title or None,
        "photo_url": photo,
    }


def _webinar(webinar: Webinar, state: Availability) -> dict[str, Any]:
    page = external_url("public.webinar", slug=webinar.slug)
    return {
        "slug": webinar.slug,
        "title": webinar.title,
        "summary": webinar.summary,
        "starts_at": _utc(webinar.starts_at),
        "ends_at": _utc(webinar.ends_at),
        "when": uktime.format_when(webinar.starts_at, webinar.ends_at),
        "hosts": [_host(h) for h in webinar.hosts],
        "panel": [_panel_member(m) for m in webinar.panel],
        "availability": str(state),
        "places_left": webinar.seats_left if state is Availability.OPEN else None,
        "url": page,
        "registration_url": page + "#register" if state.accepts_registrations else None,
        "ics_url": external_url("public.webinar_ics", slug=webinar.slug),
    }


@bp.get("/webinars")
def list_webinars() -> Response:
    now = utcnow()
    items = [_webinar(w, webinars.availability(w, now)) for w in webinars.upcoming(now)]
    return jsonify(webinars=items)


@bp.get("/webinars/<slug>")
def get_webinar(slug: str) -> Response:
    webinar = webinars.public_by_slug(slug, with_hosts=True)
    if webinar is None:
        abort(404)
    return jsonify(_webinar(webinar, webinars.availability(webinar, utcnow())))


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
