"""What /healthz reports: can we reach the database, and is the mail queue moving?

Counts and ages only, never an address or a name. The oldest due email's age is the figure
to alert on: it grows when no worker is running or the mail server refuses us.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from eventsapp.extensions import db
from eventsapp.models import OutboxMessage, OutboxStatus


@dataclass(frozen=True)
class Health:
    database: bool
    queued_due: int = 0
    oldest_due_seconds: int = 0
    failed_last_day: int = 0
    status: str = "ok"

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def check(now: datetime, max_queue_age: timedelta) -> Health:
    try:
        db.session.execute(text("SELECT 1"))
        queued_due, oldest = db.session.execute(
            select(func.count(), func.min(OutboxMessage.due_at)).where(
                OutboxMessage.status.in_((OutboxStatus.QUEUED, OutboxStatus.SENDING)),
                OutboxMessage.due_at <= now,
            )
        ).one()
        failed = db.session.scalar(
            select(func.count()).where(
                OutboxMessage.status == OutboxStatus.FAILED,
                OutboxMessage.created_at >= now - timedelta(days=1),
            )
        )
    except SQLAlchemyError:
        db.session.rollback()
        return Health(database=False, status="down")
    age = int((now - oldest).total_seconds()) if oldest is not None else 0
    return Health(
        database=True,
        queued_due=queued_due,
        oldest_due_seconds=age,
        failed_last_day=failed or 0,
        status="degraded" if age > max_queue_age.total_seconds() else "ok",
    )
