"""Queueing calls to Zoom in the caller's transaction (insert only; platforms/worker.py makes
them). Only for webinars linked to a Zoom webinar. Each call's dedupe key names the change it
is for, so queueing it again (a sweep running twice, a form saved twice) does nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from eventsapp.extensions import db
from eventsapp.models import (
    PlatformJob,
    PlatformJobKind,
    PlatformJobStatus,
    Registration,
    Webinar,
)
from eventsapp.models.inserts import insert_unless_exists

# Zoom's participants report is ready a little after the end.
REPORT_DELAY = timedelta(minutes=15)


def enqueue(
    kind: PlatformJobKind,
    key: str,
    *,
    webinar_id: int,
    zoom_webinar_id: str,
    now: datetime,
    registration_id: int | None = None,
    zoom_registrant_id: str | None = None,
    due_at: datetime | None = None,
) -> bool:
    """Queue one call; False if the change it is for was queued already."""
    inserted = db.session.execute(
        insert_unless_exists(PlatformJob.__table__, "dedupe_key"),
        {
            "dedupe_key": f"zoom:{kind}:{key}",
            "kind": kind.value,
            "webinar_id": webinar_id,
            "registration_id": registration_id,
            "zoom_webinar_id": zoom_webinar_id,
            "zoom_registrant_id": zoom_registrant_id,
            "status": PlatformJobStatus.QUEUED,
            "attempts": 0,
            "due_at": due_at or now,
            "created_at": now,
        },
    ).first()
    return inserted is not None


def add_registrant(webinar: Webinar, registration_id: int, version: int, now: datetime) -> bool:
    """A place confirmed (registered, promoted, registered again): add them on Zoom."""
    if not webinar.zoom_webinar_id:
        return False
    return enqueue(
        PlatformJobKind.ADD_REGISTRANT,
        f"reg{registration_id}:v{version}:z{webinar.zoom_webinar_id}",
        webinar_id=webinar.id,
        zoom_webinar_id=webinar.zoom_webinar_id,
        registration_id=registration_id,
        now=now,
    )


def cancel_registrant(registration: Registration, now: datetime) -> bool:
    """A place given up (cancelled by them or an organiser, or erased): cancel it on Zoom.
    If their registrant is not known yet, the pending add is skipped instead, or its
    worker cancels what it added (platforms/worker.py)."""
    webinar = registration.webinar
    if not webinar.zoom_webinar_id:
        return False
    return enqueue(
        PlatformJobKind.CANCEL_REGISTRANT,
        f"reg{registration.id}:v{registration.version}",
        webinar_id=webinar.id,
        zoom_webinar_id=webinar.zoom_webinar_id,
        registration_id=registration.id,
        zoom_registrant_id=registration.zoom_registrant_id,
        now=now,
    )


def move_webinar(webinar: Webinar, now: datetime) -> bool:
    """The start or duration changed: one call per change (the worker sends the times as
    they are when it runs)."""
    if not webinar.zoom_webinar_id:
        return False
    return enqueue(
        PlatformJobKind.MOVE_WEBINAR,
        f"w{webinar.id}:{now:%Y%m%dT%H%M%S.%f}",
        webinar_id=webinar.id,
        zoom_webinar_id=webinar.zoom_webinar_id,
        now=now,
    )


def cancel_webinar(webinar: Webinar, now: datetime) -> bool:
    if not webinar.zoom_webinar_id:
        return False
    return enqueue(
        PlatformJobKind.CANCEL_WEBINAR,
        f"w{webinar.id}:z{webinar.zoom_webinar_id}",
        webinar_id=webinar.id,
        zoom_webinar_id=webinar.zoom_webinar_id,
        now=now,
    )


def fetch_attendance(webinar: Webinar, now: datetime) -> bool:
    """Once per linked webinar, after it ended (the worker's sweep calls this)."""
    if not webinar.zoom_webinar_id:
        return False
    return enqueue(
        PlatformJobKind.FETCH_ATTENDANCE,
        f"w{webinar.id}:z{webinar.zoom_webinar_id}",
        webinar_id=webinar.id,
        zoom_webinar_id=webinar.zoom_webinar_id,
        now=now,
        due_at=max(now, webinar.ends_at + REPORT_DELAY),
    )
