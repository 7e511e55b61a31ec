"""Queueing calls to Zoom or Teams in the caller's transaction (insert only;
platforms/worker.py makes them). Only for webinars linked to a Zoom or a Teams webinar. Each
call's dedupe key names the platform and the change it is for, so queueing it again (a sweep
running twice, a form saved twice) does nothing. Teams: registrations and attendance only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from eventsapp.extensions import db
from eventsapp.models import (
    Platform,
    PlatformJob,
    PlatformJobKind,
    PlatformJobStatus,
    Registration,
    Webinar,
)
from eventsapp.models.inserts import insert_unless_exists

# Zoom's participants report (and Teams' attendance report) is ready a little after the end.
REPORT_DELAY = timedelta(minutes=15)


def linked(webinar: Webinar) -> tuple[Platform, str] | None:
    """The platform and its webinar id this webinar is linked to, if any."""
    if webinar.zoom_webinar_id:
        return Platform.ZOOM, webinar.zoom_webinar_id
    if webinar.teams_webinar_id:
        return Platform.TEAMS, webinar.teams_webinar_id
    return None


def registrant_id(registration: Registration, platform: Platform | str) -> str | None:
    """The platform's id of this registration's registrant, once it has registered them."""
    if platform == Platform.TEAMS:
        return registration.teams_registration_id
    return registration.zoom_registrant_id


def enqueue(
    kind: PlatformJobKind,
    key: str,
    *,
    webinar_id: int,
    platform_webinar_id: str,
    now: datetime,
    platform: Platform | str = Platform.ZOOM,
    registration_id: int | None = None,
    platform_registrant_id: str | None = None,
    due_at: datetime | None = None,
) -> bool:
    """Queue one call; False if the change it is for was queued already."""
    inserted = db.session.execute(
        insert_unless_exists(PlatformJob.__table__, "dedupe_key"),
        {
            "dedupe_key": f"{platform}:{kind}:{key}",
            "kind": kind.value,
            "platform": str(platform),
            "webinar_id": webinar_id,
            "registration_id": registration_id,
            "platform_webinar_id": platform_webinar_id,
            "platform_registrant_id": platform_registrant_id,
            "status": PlatformJobStatus.QUEUED,
            "attempts": 0,
            "due_at": due_at or now,
            "created_at": now,
        },
    ).first()
    return inserted is not None


def add_registrant(webinar: Webinar, registration_id: int, version: int, now: datetime) -> bool:
    """A place confirmed (registered, promoted, registered again): add them on the platform."""
    link = linked(webinar)
    if link is None:
        return False
    platform, platform_id = link
    return enqueue(
        PlatformJobKind.ADD_REGISTRANT,
        f"reg{registration_id}:v{version}:{platform.value[0]}{platform_id}",
        webinar_id=webinar.id,
        platform=platform,
        platform_webinar_id=platform_id,
        registration_id=registration_id,
        now=now,
    )


def cancel_registrant(registration: Registration, now: datetime) -> bool:
    """A place given up (cancelled by them or an organiser, or erased): cancel it on the
    platform. If their registrant is not known yet, the pending add is skipped instead, or
    its worker cancels what it added (platforms/worker.py)."""
    link = linked(registration.webinar)
    if link is None:
        return False
    platform, platform_id = link
    return enqueue(
        PlatformJobKind.CANCEL_REGISTRANT,
        f"reg{registration.id}:v{registration.version}",
        webinar_id=registration.webinar.id,
        platform=platform,
        platform_webinar_id=platform_id,
        registration_id=registration.id,
        platform_registrant_id=registrant_id(registration, platform),
        now=now,
    )


def move_webinar(webinar: Webinar, now: datetime) -> bool:
    """The start or duration changed: one call per change (the worker sends the times as
    they are when it runs). Zoom only."""
    if not webinar.zoom_webinar_id:
        return False
    return enqueue(
        PlatformJobKind.MOVE_WEBINAR,
        f"w{webinar.id}:{now:%Y%m%dT%H%M%S.%f}",
        webinar_id=webinar.id,
        platform_webinar_id=webinar.zoom_webinar_id,
        now=now,
    )


def cancel_webinar(webinar: Webinar, now: datetime) -> bool:
    """Zoom only."""
    if not webinar.zoom_webinar_id:
        return False
    return enqueue(
        PlatformJobKind.CANCEL_WEBINAR,
        f"w{webinar.id}:z{webinar.zoom_webinar_id}",
        webinar_id=webinar.id,
        platform_webinar_id=webinar.zoom_webinar_id,
        now=now,
    )


def fetch_attendance(webinar: Webinar, now: datetime) -> bool:
    """Once per linked webinar, after it ended (the worker's sweep calls this)."""
    link = linked(webinar)
    if link is None:
        return False
    platform, platform_id = link
    return enqueue(
        PlatformJobKind.FETCH_ATTENDANCE,
        f"w{webinar.id}:{platform.value[0]}{platform_id}",
        webinar_id=webinar.id,
        platform=platform,
        platform_webinar_id=platform_id,
        now=now,
        due_at=max(now, webinar.ends_at + REPORT_DELAY),
    )
