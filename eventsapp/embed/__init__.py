"""The embeddable widget: the upcoming webinars and their registration form, in a frame
on the partner organisations' own websites (docs/embed.md)."""

from flask import Blueprint

bp = Blueprint("embed", __name__, url_prefix="/embed")

from eventsapp.embed import views  # noqa: E402,F401  (register on bp)
