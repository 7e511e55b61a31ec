"""The organisers' area: every route needs a signed-in, active account (except signing in)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_login import current_user

from eventsapp.extensions import login_manager

bp = Blueprint("organiser", __name__, url_prefix="/organiser")

# Reachable without signing in.
PUBLIC_ENDPOINTS = {
    "organiser.login",
    "organiser.forgot_password",
    "organiser.reset_password",
}


@bp.before_request
def require_login() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()  # redirect to the login page, with next=
    return None


@bp.after_request
def no_caching(response: Response) -> Response:
    # Registrants' data must not linger in shared or browser caches.
    response.headers["Cache-Control"] = "no-store"
    if request.endpoint == "organiser.reset_password":
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


from eventsapp.organiser import (  # noqa: E402,F401  (routes register on bp)
    accounts,
    admin,
    announcements,
    api_keys,
    attendance,
    dashboard,
    embed,
    form_questions,
    organisations,
    panels,
    recordings,
    registrants,
    webhooks,
    webinars,
)
