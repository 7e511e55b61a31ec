"""Flask's signed-cookie sessions, with the signing serializer built once per app.

Flask builds a new itsdangerous serializer (and test-dumps a string to check its type)
twice on every request, to open and to save the session: about a tenth of a cached page
view. The serializer depends only on the app's configuration, which does not change
while it runs. The JSON API (/api/) never sets a cookie: its session is never saved.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer


class CookieSessionInterface(SecureCookieSessionInterface):
    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        serializer = app.extensions.get("session_serializer")
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            app.extensions["session_serializer"] = serializer
        return serializer

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.path.startswith("/api/"):
            return
        super().save_session(app, session, response)
