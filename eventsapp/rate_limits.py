"""Rate limits (Flask-Limiter): against spam registrations and password guessing.

Counters live in Redis when REDIS_URL is set (shared by every process), else in memory.
Keys never hold personal data: email addresses are hashed.

Sign-in is limited per (address, account) pair and per address, not per account alone:
an attacker guessing from elsewhere cannot lock the real organiser out.
"""

from __future__ import annotations

import hashlib

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from eventsapp.extensions import limiter

POST = ["POST"]


def _hashed_form_email() -> str:
    email = (request.form.get("email") or "").strip().lower()
    return "email:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _ip_and_account() -> str:
    return f"{get_remote_address()}|{_hashed_form_email()}"


registration_per_ip = limiter.limit("30 per hour", methods=POST)
registration_per_email = limiter.limit("5 per hour", key_func=_hashed_form_email, methods=POST)
# Failed sign-ins only: a successful one (a redirect) does not count.
login_per_ip = limiter.limit(
    "60 per hour", methods=POST, deduct_when=lambda response: response.status_code != 302
)
login_per_ip_and_account = limiter.limit(
    "8 per 15 minutes",
    key_func=_ip_and_account,
    methods=POST,
    deduct_when=lambda response: response.status_code != 302,
)
reset_per_ip = limiter.limit("10 per hour", methods=POST)
reset_per_email = limiter.limit("3 per hour", key_func=_hashed_form_email, methods=POST)
token_pages = limiter.limit("120 per minute")


def _api_key_id() -> str:
    """The private API's key, by its id (never the key itself): set by api/private.py."""
    return f"api-key:{g.api_key.id}"


# Per key, across every private endpoint (one shared counter): API_KEY_RATE_LIMIT.
api_key = limiter.shared_limit(
    lambda: current_app.config["API_KEY_RATE_LIMIT"], scope="api-key", key_func=_api_key_id
)
