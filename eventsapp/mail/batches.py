"""Rendering a claimed batch into bytes ready for SMTP (in the worker or a render process)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from eventsapp import sqlite
from eventsapp.extensions import db
from eventsapp.mail.render import build_message, render
from eventsapp.models import OutboxMessage, Registration, Webinar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """An email ready to send."""

    row_id: int
    attempts: int
    recipient: str
    message_id: str
    subject: str
    data: bytes


@dataclass(frozen=True)
class NotSent:
    """A row settled without sending: skipped (error None), or it failed to render."""

    row_id: int
    attempts: int
    error: str | None = None


def render_batch(ids: list[int], owner: str, now: datetime) -> list[Prepared | NotSent]:
    """Render every row of the batch this worker still holds, in one read transaction.

    Deferred on SQLite, so it never takes the write lock, and over before any network
    call. Rows whose reason has gone are skipped; a template bug fails only its row.
    """
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    items: list[Prepared | NotSent] = []
    with sqlite.begin_mode(sqlite.DEFERRED):
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.lease_owner == owner)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .options(
                joinedload(OutboxMessage.registration)
                .joinedload(Registration.webinar)
                .selectinload(Webinar.hosts)
            )
        ).unique()
        for row in rows:
            try:
                email = render(row, now)
                if email is None:
                    items.append(NotSent(row.id, row.attempts))
                    continue
                data = build_message(row, email, sender).as_bytes()
            except Exception as exc:  # a template bug must not stop the batch
                log.exception("outbox row %s (%s): render failed", row.id, row.kind)
                items.append(NotSent(row.id, row.attempts, f"render: {type(exc).__name__}"))
                continue
            items.append(
                Prepared(row.id, row.attempts, row.recipient, row.message_id, email.subject, data)
            )
        db.session.rollback()
    return items
