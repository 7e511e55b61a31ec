"""Queueing calls to Zoom or Teams in the caller's transaction (insert only;
platforms/worker.py makes them). Only for webinars linked to a Zoom or a Teams webinar. Each
call's dedupe key names the platform and the change it is for, so queueing it again (a sweep
running twice, a form saved twice) does nothing. Teams: registrations and attendance only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import (
    Platform,
    PlatformJob,
    PlatformJobKind,
    PlatformJobStatus,
    Registration,
    RegistrationStatus,
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


def add_everyone(webinar: Webinar, now: datetime) -> int:
    """Newly linked (an ID set, or a Zoom webinar created for it): everyone with a place is
    added on the platform."""
    confirmed = db.session.execute(
        select(Registration.id, Registration.version).where(
            Registration.webinar_id == webinar.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
    ).all()
    return sum(add_registrant(webinar, rid, version, now) for rid, version in confirmed)


def _zoom_webinar_call(kind: PlatformJobKind, webinar: Webinar, change: str, now: datetime) -> bool:
    """A call about the Zoom webinar itself (Zoom only), once per `change` it is for."""
    if not webinar.zoom_webinar_id:
        return False
    return enqueue(
        kind,
        f"w{webinar.id}:{change}",
        webinar_id=webinar.id,
        platform_webinar_id=webinar.zoom_webinar_id,
        now=now,
    )


def check_webinar(webinar: Webinar, now: datetime) -> bool:
    """The Zoom webinar ID was set or changed: read the webinar back (once per ID set), so
    the organiser page can say whether the link works."""
    change = f"z{webinar.zoom_webinar_id}:{now:%Y%m%dT%H%M%S.%f}"
    return _zoom_webinar_call(PlatformJobKind.CHECK_WEBINAR, webinar, change, now)


def create_webinar(webinar: Webinar, now: datetime) -> bool:
    """An organiser asked for a Zoom webinar for this one. Pressing again while one is on
    its way (or has failed) queues nothing; once a creation is settled and the webinar is
    unlinked again, a new one may be asked for."""
    if linked(webinar) is not None:
        return False
    settled = db.session.scalar(
        select(func.count())
        .select_from(PlatformJob)
        .where(
            PlatformJob.webinar_id == webinar.id,
            PlatformJob.kind == PlatformJobKind.CREATE_WEBINAR,
            PlatformJob.status.in_([PlatformJobStatus.DONE, PlatformJobStatus.SKIPPED]),
        )
    )
    return enqueue(
        PlatformJobKind.CREATE_WEBINAR,
        f"w{webinar.id}:n{settled or 0}",
        webinar_id=webinar.id,
        platform_webinar_id="",
        now=now,
    )


def creating_webinar(webinar: Webinar) -> bool:
    """A Zoom webinar is being created for this one (queued, under way or failed)."""
    return (
        db.session.scalar(
            select(PlatformJob.id)
            .where(
                PlatformJob.webinar_id == webinar.id,
                PlatformJob.kind == PlatformJobKind.CREATE_WEBINAR,
                PlatformJob.status.in_(
                    [PlatformJobStatus.QUEUED, PlatformJobStatus.SENDING, PlatformJobStatus.FAILED]
                ),
            )
            .limit(1)
        )
        is not None
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
    they are when it runs)."""
    return _zoom_webinar_call(PlatformJobKind.MOVE_WEBINAR, webinar, f"{now:%Y%m%dT%H%M%S.%f}", now)


def cancel_webinar(webinar: Webinar, now: datetime) -> bool:
    return _zoom_webinar_call(
        PlatformJobKind.CANCEL_WEBINAR, webinar, f"z{webinar.zoom_webinar_id}", now
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
