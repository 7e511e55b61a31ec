"""What organisers see of a webinar's calls to Zoom or Teams, and queueing failed ones again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from eventsapp.extensions import db
from eventsapp.models import PlatformJob, PlatformJobStatus, User, Webinar
from eventsapp.services import audit


@dataclass(frozen=True)
class Calls:
    waiting: int  # queued or being made
    failed: int


def summary(webinar: Webinar) -> Calls:
    counts = dict(
        db.session.execute(
            select(PlatformJob.status, func.count())
            .where(PlatformJob.webinar_id == webinar.id)
            .group_by(PlatformJob.status)
        ).all()
    )
    return Calls(
        waiting=counts.get(PlatformJobStatus.QUEUED, 0) + counts.get(PlatformJobStatus.SENDING, 0),
        failed=counts.get(PlatformJobStatus.FAILED, 0),
    )


def retry_failed(webinar: Webinar, actor: User, now: datetime) -> int:
    """Queue this webinar's failed calls again, due now, with their attempts reset."""
    result = db.session.execute(
        update(PlatformJob)
        .where(PlatformJob.webinar_id == webinar.id, PlatformJob.status == PlatformJobStatus.FAILED)
        .values(status=PlatformJobStatus.QUEUED, attempts=0, due_at=now)
    )
    retried = int(result.rowcount or 0)
    if retried:
        audit.record("zoom.retried", actor=actor, now=now, webinar=webinar, calls=retried)
    return retried
