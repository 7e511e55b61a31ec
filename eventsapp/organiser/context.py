"""What every organiser view needs: the actor, the clock, the webinar they may manage."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from flask import abort
from flask_login import current_user

from eventsapp.models import User, Webinar
from eventsapp.services import access
from eventsapp.uktime import utcnow


def actor() -> User:
    return cast(User, current_user._get_current_object())  # type: ignore[attr-defined]


def now() -> datetime:
    return utcnow()


def webinar_or_404(webinar_id: int) -> Webinar:
    """Another organisation's webinar is not found, exactly like one that does not exist."""
    webinar = access.webinar_for(actor(), webinar_id)
    if webinar is None:
        abort(404)
    return webinar


def require_admin() -> User:
    user = actor()
    if not user.is_admin:
        abort(404)
    return user
