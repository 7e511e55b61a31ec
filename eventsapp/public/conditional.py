"""Conditional GET for the public pages and calendar files: ETag from what was sent.

The tag is a hash of the body, so it can never be stale: a changed seat count, panel or
title changes the body, and so the tag. Pages with the registration form carry a signed
CSRF token that changes every second; for the tag it is replaced by a hash of the
session's own token, so a visitor's page revalidates to 304 while nothing else has changed,
and the copy their browser keeps holds a token that is still valid for their session (CSRF
tokens do not expire here). Everything is revalidated on each visit (no-cache), and pages
that depend on the session say so (Vary: Cookie). A Welsh page (/cy, eventsapp/locales.py)
has its own URL, and its language is hashed into the tag too, so an English and a Welsh
copy can never share a tag even if their bodies were the same.
"""

from __future__ import annotations

import hashlib

from flask import Response, g, request, session

from eventsapp import locales
from eventsapp.public import bp
from eventsapp.public.views import TOKEN_ENDPOINTS


@bp.after_request
def make_conditional(response: Response) -> Response:
    if (
        request.method not in ("GET", "HEAD")
        or response.status_code != 200
        or request.endpoint in TOKEN_ENDPOINTS  # personal pages are never cached at all
        or response.direct_passthrough
    ):
        return response
    signed = g.get("csrf_token")  # Flask-WTF keeps the signed token it put in the page here
    session_token = str(session.get("csrf_token", "")).encode() if signed else b""
    body = response.get_data()
    if signed:
        body = body.replace(signed.encode(), hashlib.sha256(session_token).hexdigest().encode())
    digest = hashlib.sha256(body)
    if locales.is_welsh():
        digest.update(b"\x00" + locales.WELSH.encode())
    if signed:
        response.vary.add("Cookie")
    response.set_etag(digest.hexdigest()[:32])
    response.headers.setdefault("Cache-Control", "no-cache")
    return response.make_conditional(request)
