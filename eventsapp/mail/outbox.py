"""Enqueue emails in the caller's transaction. Only inserts rows; never talks SMTP."""

from __future__ import annotations

import secrets
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from flask import current_app

from eventsapp.extensions import db
from eventsapp.models import OutboxMessage, Registration, Webinar
from eventsapp.models.inserts import insert_unless_exists


def sender_domain() -> str:
    address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return address.rpartition("@")[2] or "localhost"


def new_message_id() -> str:
    """Fixed when the email is queued, so a retried send carries the same Message-ID."""
    return f"<{secrets.token_hex(16)}@{sender_domain()}>"


def enqueue(
    kind: str,
    *,
    recipient: str,
    dedupe_key: str,
    now: datetime,
    registration: Registration | None = None,
    webinar: Webinar | None = None,
    context: dict[str, Any] | None = None,
    due_at: datetime | None = None,
) -> bool:
    """Queue one email; returns False if one with this dedupe key already exists."""
    return enqueue_by_id(
        kind,
        recipient=recipient,
        dedupe_key=dedupe_key,
        now=now,
        registration_id=registration.id if registration else None,
        webinar_id=webinar.id if webinar else (registration.webinar_id if registration else None),
        context=context,
        due_at=due_at,
    )


def enqueue_by_id(
    kind: str,
    *,
    recipient: str,
    dedupe_key: str,
    now: datetime,
    registration_id: int | None,
    webinar_id: int | None,
    context: dict[str, Any] | None = None,
    due_at: datetime | None = None,
) -> bool:
    """enqueue() for callers that hold ids, not loaded objects (registering, in Core).

    ON CONFLICT DO NOTHING rather than a savepoint: a duplicate is an expected outcome
    (an organiser saving twice, a planning sweep running again), not an error.
    """
    values = {
        "dedupe_key": dedupe_key,
        "kind": kind,
        "recipient": recipient,
        "registration_id": registration_id,
        "webinar_id": webinar_id,
        "context": context or {},
        "status": "queued",
        "attempts": 0,
        "due_at": due_at or now,
        "message_id": new_message_id(),
        "created_at": now,
    }
    inserted = db.session.execute(
        insert_unless_exists(OutboxMessage.__table__, "dedupe_key"), values
    ).first()
    return inserted is not None
