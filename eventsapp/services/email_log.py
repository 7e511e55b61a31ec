"""Organisers' view of the outbox for a webinar, and resending what failed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import OutboxMessage, OutboxStatus, User, Webinar
from eventsapp.services import access, audit
from eventsapp.services.errors import DomainError


class EmailLogError(DomainError):
    pass


def for_webinar(webinar: Webinar, status: str = "") -> list[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.webinar_id == webinar.id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    )
    if status:
        query = query.where(OutboxMessage.status == status)
    return list(db.session.scalars(query))


def message_in(webinar: Webinar, message_id: int) -> OutboxMessage:
    return access.row_of(
        webinar,
        OutboxMessage,
        message_id,
        EmailLogError("That email does not belong to this webinar"),
    )


def resend(webinar: Webinar, message_id: int, actor: User, now: datetime) -> None:
    """Queue a failed email again, with a fresh set of attempts (same Message-ID)."""
    row = message_in(webinar, message_id)
    if row.status != OutboxStatus.FAILED:
        raise EmailLogError("Only a failed email can be sent again")
    row.status = OutboxStatus.QUEUED
    row.attempts = 0
    row.due_at = now
    row.last_error = None
    audit.record("email.resent", actor=actor, now=now, webinar=webinar, message=row.id)
