"""/healthz for load balancers and monitoring (no personal data; see services/health.py)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, jsonify

from eventsapp.services import health
from eventsapp.uktime import utcnow

bp = Blueprint("monitoring", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 while the database answers (status "ok", or "degraded" when the oldest due email
    has waited longer than HEALTH_MAX_QUEUE_AGE_SECONDS: a worker or mail problem, which
    should alert someone but not take the web servers out of the load balancer); 503 when
    the database does not answer."""
    max_age = timedelta(seconds=current_app.config["HEALTH_MAX_QUEUE_AGE_SECONDS"])
    report = health.check(utcnow(), max_age)
    response = jsonify(report.as_json())
    response.headers["Cache-Control"] = "no-store"
    return response, 200 if report.database else 503
