"""The public site: webinars, registration, manage links, calendar files."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from eventsapp.public import conditional, views  # noqa: E402,F401  (register on bp)
