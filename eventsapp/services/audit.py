"""Append to the audit log (in the caller's transaction, like everything else)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from eventsapp.extensions import db
from eventsapp.models import AuditEvent, User, Webinar

# Details added to every record made inside `acting_through` (e.g. the API key a service
# acted for): services keep taking a User actor, or None, and need not know about keys.
_through: ContextVar[dict[str, Any] | None] = ContextVar("audit_through", default=None)


@contextmanager
def acting_through(**details: Any) -> Iterator[None]:
    token = _through.set({**(_through.get() or {}), **details})
    try:
        yield
    finally:
        _through.reset(token)


def record(
    action: str,
    *,
    actor: User | None,
    now: datetime,
    webinar: Webinar | None = None,
    **details: Any,
) -> None:
    """Details hold ids, counts and field names, never registrants' personal data."""
    db.session.add(
        AuditEvent(
            at=now,
            actor_id=actor.id if actor else None,
            action=action,
            webinar_id=webinar.id if webinar else None,
            details={**(_through.get() or {}), **details},
        )
    )


def recent(webinar_id: int | None = None, limit: int = 200) -> list[AuditEvent]:
    query = (
        select(AuditEvent)
        .options(joinedload(AuditEvent.actor), joinedload(AuditEvent.webinar))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    if webinar_id is not None:
        query = query.where(AuditEvent.webinar_id == webinar_id)
    return list(db.session.scalars(query))
