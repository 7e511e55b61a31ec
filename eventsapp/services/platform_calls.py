"""What organisers see of a webinar's calls to Zoom or Teams, and queueing failed ones again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from eventsapp.extensions import db
from eventsapp.models import PlatformJob, PlatformJobStatus, User, Webinar, WebinarStatus
from eventsapp.platforms import jobs
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


def can_create_on_zoom(webinar: Webinar, zoom_configured: bool) -> bool:
    """Whether to offer "Create a Zoom webinar for this": Zoom is set up, the webinar is not
    linked to either platform, and no creation is on its way already."""
    return (
        zoom_configured
        and webinar.status != WebinarStatus.CANCELLED
        and jobs.linked(webinar) is None
        and not jobs.creating_webinar(webinar)
    )


def create_on_zoom(webinar: Webinar, actor: User, now: datetime) -> bool:
    """Queue the creation of a Zoom webinar for this one; False if one is on its way (or
    the webinar is linked or cancelled)."""
    if webinar.status == WebinarStatus.CANCELLED or not jobs.create_webinar(webinar, now):
        return False
    audit.record("zoom.create_requested", actor=actor, now=now, webinar=webinar)
    return True
