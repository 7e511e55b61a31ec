"""Raising webhook events: one small row in the transaction of the change (nothing personal).

The worker (eventsapp/webhooks/worker.py) fans each event out to the endpoints that chose
its type, of the organisations hosting its webinar, and builds the body when it sends.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert

from eventsapp.extensions import db
from eventsapp.models import WebhookEvent, WebhookEventType

_INSERT = insert(WebhookEvent.__table__)


def new_message_id() -> str:
    """A delivery's webhook-id: the same on every attempt of it."""
    return "msg_" + secrets.token_urlsafe(18)


def emit(
    event: WebhookEventType,
    webinar_id: int,
    now: datetime,
    registration_id: int | None = None,
    **detail: Any,
) -> None:
    db.session.execute(
        _INSERT,
        {
            "type": event.value,
            "webinar_id": webinar_id,
            "registration_id": registration_id,
            "detail": detail,
            "occurred_at": now,
        },
    )


def emit_each(
    event: WebhookEventType, webinar_id: int, registration_ids: Iterable[int], now: datetime
) -> None:
    """The same event for several registrations (an attendance report), in one statement."""
    rows = [
        {
            "type": event.value,
            "webinar_id": webinar_id,
            "registration_id": registration_id,
            "detail": {},
            "occurred_at": now,
        }
        for registration_id in registration_ids
    ]
    if rows:
        db.session.execute(_INSERT, rows)
