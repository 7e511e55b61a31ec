"""The JSON API at /api/v1/: public and keyless (views.py, what the public pages show),
and the organisations' private API with keys (private.py, docs/api.md)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from eventsapp.api import private, views  # noqa: E402,F401  (register on bp)
