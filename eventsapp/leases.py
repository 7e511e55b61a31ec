"""The durable queues' one claiming rule: the outbox, the platform calls and the webhook
deliveries all lease due rows the same way.

A queue table has `id`, `status` ("queued" → "sending" → a final state), `due_at`,
`lease_owner` and `lease_expires_at`. Claiming leases rows to one worker (PostgreSQL:
FOR UPDATE SKIP LOCKED, so workers share the queue; SQLite: the write lock); an expired
lease (a killed worker) returns its rows to the queue. Nothing here commits except
claim(), whose lease must be visible to other workers before any sending starts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, select, update

from eventsapp.extensions import db

QUEUED, SENDING, FAILED = "queued", "sending", "failed"


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, at most an hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def reap(model: Any, now: datetime) -> int:
    """Give rows whose lease expired back to the queue."""
    result = db.session.execute(
        update(model)
        .where(model.status == SENDING, model.lease_expires_at < now)
        .values(status=QUEUED, lease_owner=None, lease_expires_at=None)
    )
    return result.rowcount


def claim(
    model: Any,
    now: datetime,
    owner: str,
    limit: int,
    lease_seconds: int,
    *where: ColumnElement[bool],
    joins: tuple[Any, ...] = (),
) -> list[int]:
    """Lease up to `limit` due rows (soonest first) to `owner`, and commit."""
    query = select(model.id)
    for target in joins:
        query = query.join(target)
    ids = list(
        db.session.scalars(
            query.where(model.status == QUEUED, model.due_at <= now, *where)
            .order_by(model.due_at, model.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=model)
        )
    )
    if ids:
        db.session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(
                status=SENDING,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
            )
        )
    db.session.commit()
    return ids


def held(model: Any, row_ids: list[int], owner: str) -> Select[Any]:
    """The rows of `row_ids` this owner still holds, in the order they fell due: what a
    worker prepares after claiming (add options() for what it loads with them)."""
    return (
        select(model)
        .where(model.id.in_(row_ids), model.lease_owner == owner)
        .order_by(model.due_at, model.id)
    )


def settle(model: Any, row_id: int, owner: str, status: str, **values: object) -> bool:
    """Write a row's outcome if this worker still holds it (in the caller's transaction)."""
    result = db.session.execute(
        update(model)
        .where(model.id == row_id, model.lease_owner == owner, model.status == SENDING)
        .values(status=status, lease_owner=None, lease_expires_at=None, **values)
    )
    return bool(result.rowcount)


def retry_or_fail(
    model: Any,
    row_id: int,
    owner: str,
    *,
    attempts: int,
    max_attempts: int,
    now: datetime,
    error: str,
    at_least: timedelta = timedelta(0),
) -> bool:
    """After a transient failure (`attempts` counts this one): queued again after the
    backoff (or `at_least`, if longer), or failed once out of attempts. True if retried."""
    retried = attempts < max_attempts
    values: dict[str, object] = {"attempts": attempts, "last_error": error[:200]}
    if retried:
        values["due_at"] = now + max(backoff(attempts), at_least)
    settle(model, row_id, owner, QUEUED if retried else FAILED, **values)
    return retried


def release(model: Any, owner: str, row_ids: list[int], due_at: datetime | None = None) -> None:
    """Give claimed rows back untried (no attempt counted), and commit."""
    if not row_ids:
        return
    values: dict[str, object] = {"status": QUEUED, "lease_owner": None, "lease_expires_at": None}
    if due_at is not None:
        values["due_at"] = due_at
    db.session.execute(
        update(model).where(model.id.in_(row_ids), model.lease_owner == owner).values(**values)
    )
    db.session.commit()
