"""The public JSON API at /api/v1/: keyless, read-only, what the public pages show."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from eventsapp.api import views  # noqa: E402,F401  (register on bp)
