"""The platform worker: claim due Zoom and Teams calls, make them, record the outcome.

Run as one of the mail worker's sweeps (mail/worker.SWEEPS), in the same style as the
outbox: rows are leased to one worker (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the
write lock) so several workers never make the same call at once; an expired lease returns
its rows to the queue. What a call needs is read first (no write lock held while Zoom
answers), then each outcome is written and committed on its own: one unit of work per call.
Transient failures retry with the outbox's backoff (1, 2, 4 … minutes, at most an hour);
a 429 waits at least its Retry-After; a platform down or rate-limiting ends its pass, and
the rest of the batch goes back to the queue untried. Each configured platform has its own
pass (its own claims), so Teams being down does not hold up Zoom's calls, nor the reverse.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from eventsapp import leases, transactions, uktime
from eventsapp.extensions import db
from eventsapp.models import (
    AttendanceSource,
    Platform,
    PlatformJob,
    PlatformJobKind,
    PlatformJobStatus,
    Registration,
    RegistrationStatus,
    Webinar,
    WebinarStatus,
)
from eventsapp.platforms import jobs
from eventsapp.platforms.api_client import (
    NotConfigured,
    Participation,
    PermanentError,
    Registrant,
    TransientError,
)
from eventsapp.platforms.teams import TeamsClient
from eventsapp.platforms.zoom import ZoomClient, ZoomWebinar
from eventsapp.services import attendance, attendance_reports
from eventsapp.transactions import Mode

log = logging.getLogger(__name__)

BATCH_SIZE = 50
# Calls one pass makes at most, so a burst of registrations cannot hold up the mail.
PASS_LIMIT = 1000
# Ended webinars older than this are not swept for attendance (linked long before).
ATTENDANCE_LOOKBACK = timedelta(days=30)

_QUEUED = PlatformJobStatus.QUEUED


def plan_attendance(now: datetime) -> int:
    """Queue the attendance fetch of each linked webinar that has ended (once each)."""
    fetched = PlatformJob.__table__.alias("fetched")
    candidates = db.session.scalars(
        select(Webinar)
        .outerjoin(
            fetched,
            and_(
                fetched.c.webinar_id == Webinar.id,
                fetched.c.kind == PlatformJobKind.FETCH_ATTENDANCE,
                fetched.c.platform_webinar_id
                == func.coalesce(Webinar.zoom_webinar_id, Webinar.teams_webinar_id),
            ),
        )
        .where(
            or_(Webinar.zoom_webinar_id.is_not(None), Webinar.teams_webinar_id.is_not(None)),
            Webinar.status == WebinarStatus.PUBLISHED,
            Webinar.starts_at < now,
            Webinar.starts_at > now - ATTENDANCE_LOOKBACK,
            fetched.c.id.is_(None),
        )
    ).all()
    return sum(jobs.fetch_attendance(w, now) for w in candidates if w.ends_at <= now)


def claim(
    now: datetime, owner: str, limit: int, lease_seconds: int, platform: Platform = Platform.ZOOM
) -> list[int]:
    return leases.claim(
        PlatformJob, now, owner, limit, lease_seconds, PlatformJob.platform == platform
    )


@dataclass(frozen=True)
class Work:
    """A claimed call with what it needs, read before any network call."""

    job_id: int
    kind: PlatformJobKind
    attempts: int
    webinar_id: int
    platform_webinar_id: str
    platform: Platform = Platform.ZOOM
    registration_id: int | None = None
    registrant_id: str | None = None
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    starts_at: datetime | None = None
    duration_minutes: int = 0
    title: str = ""  # creating a Zoom webinar: its topic and agenda
    summary: str = ""
    # The reason went away before the call (cancelled first, webinar cancelled): skipped.
    moot: bool = False


def _names(full_name: str) -> tuple[str, str]:
    first, _, last = full_name.strip().partition(" ")
    return first[:64] or "Guest", last.strip()[:64]


def prepare(ids: list[int], owner: str) -> list[Work]:
    items: list[Work] = []
    with transactions.begin_mode(Mode.READ):
        rows = db.session.scalars(leases.held(PlatformJob, ids, owner)).all()
        for job in rows:
            items.append(_work(job))
        db.session.rollback()
    return items


def _work(job: PlatformJob) -> Work:
    kind = PlatformJobKind(job.kind)
    platform = Platform(job.platform)
    base = Work(job.id, kind, job.attempts, job.webinar_id, job.platform_webinar_id, platform)
    webinar = db.session.get(Webinar, job.webinar_id)
    cancelled = webinar is None or webinar.status == WebinarStatus.CANCELLED
    registration = (
        db.session.get(Registration, job.registration_id) if job.registration_id else None
    )
    if kind is PlatformJobKind.ADD_REGISTRANT:
        if (
            cancelled
            or registration is None
            or registration.erased_at is not None
            or registration.status != RegistrationStatus.CONFIRMED
        ):
            return _moot(base)
        first, last = _names(registration.full_name)
        return _replace(
            base,
            registration_id=registration.id,
            email=registration.email,
            first_name=first,
            last_name=last,
        )
    if kind is PlatformJobKind.CANCEL_REGISTRANT:
        known = job.platform_registrant_id or (
            jobs.registrant_id(registration, platform)
            if registration and registration.status != RegistrationStatus.CONFIRMED
            else None
        )
        if cancelled or not known:
            return _moot(base)  # nothing there yet: the pending add is skipped instead
        return _replace(base, registration_id=job.registration_id, registrant_id=known)
    if kind is PlatformJobKind.MOVE_WEBINAR:
        if cancelled or webinar is None:
            return _moot(base)
        return _replace(
            base, starts_at=webinar.starts_at, duration_minutes=webinar.duration_minutes
        )
    if kind is PlatformJobKind.CHECK_WEBINAR:
        if cancelled or webinar is None or webinar.zoom_webinar_id != job.platform_webinar_id:
            return _moot(base)  # cancelled, or linked to another ID since (checked itself)
        return base
    if kind is PlatformJobKind.CREATE_WEBINAR:
        if cancelled or webinar is None or jobs.linked(webinar) is not None:
            return _moot(base)  # linked some other way meanwhile
        return _replace(
            base,
            starts_at=webinar.starts_at,
            duration_minutes=webinar.duration_minutes,
            title=webinar.title,
            summary=webinar.summary,
        )
    if kind is PlatformJobKind.FETCH_ATTENDANCE and cancelled:
        return _moot(base)
    return base


def _moot(work: Work) -> Work:
    return _replace(work, moot=True)


def _replace(work: Work, **changes: Any) -> Work:
    return replace(work, **changes)


class _Approvals:
    """Whether each Zoom webinar needs registrants approved: asked once a pass."""

    def __init__(self, client: ZoomClient) -> None:
        self.client = client
        self.known: dict[str, bool] = {}

    def needed(self, zoom_webinar_id: str) -> bool:
        if zoom_webinar_id not in self.known:
            self.known[zoom_webinar_id] = self.client.needs_approval(zoom_webinar_id)
        return self.known[zoom_webinar_id]


def _minutes_by_person(stays: list[Participation]) -> list[attendance_reports.ReportRow]:
    """Rejoins summed per person (their registrant id, else email, else name)."""
    totals: dict[str, tuple[Participation, int]] = {}
    for stay in stays:
        key = stay.registrant_id or stay.email or f"name:{stay.name.strip().lower()}"
        first, seconds = totals.get(key, (stay, 0))
        totals[key] = (first, seconds + max(stay.seconds, 0))
    return [
        attendance_reports.ReportRow(
            first.name, first.email, (seconds + 30) // 60, registrant_id=first.registrant_id
        )
        for first, seconds in totals.values()
    ]


def perform_teams(client: TeamsClient, work: Work) -> object:
    """Make a Teams call (registrations and attendance only)."""
    teams_id = work.platform_webinar_id
    if work.kind is PlatformJobKind.ADD_REGISTRANT:
        return client.add_registration(teams_id, work.email, work.first_name, work.last_name)
    if work.kind is PlatformJobKind.CANCEL_REGISTRANT:
        try:
            client.cancel_registration(teams_id, str(work.registrant_id))
        except PermanentError as exc:
            if exc.status != 404:  # already gone there is what we wanted
                raise
        return None
    if work.kind is PlatformJobKind.FETCH_ATTENDANCE:
        return _minutes_by_person(list(client.attendance(teams_id)))
    raise PermanentError(f"{work.kind}: not a Teams call", 400)


def perform(client: ZoomClient | TeamsClient, approvals: _Approvals | None, work: Work) -> object:
    """Make the call; returns what the outcome needs (nothing personal is logged)."""
    if isinstance(client, TeamsClient):
        return perform_teams(client, work)
    assert approvals is not None
    zoom_id = work.platform_webinar_id
    if work.kind is PlatformJobKind.ADD_REGISTRANT:
        registrant = client.add_registrant(zoom_id, work.email, work.first_name, work.last_name)
        if approvals.needed(zoom_id):
            client.set_registrant_status(zoom_id, "approve", registrant.registrant_id)
        return registrant
    if work.kind is PlatformJobKind.CANCEL_REGISTRANT:
        try:
            client.set_registrant_status(zoom_id, "cancel", str(work.registrant_id))
        except PermanentError as exc:
            if exc.status != 404:  # already gone there is what we wanted
                raise
        return None
    if work.kind is PlatformJobKind.MOVE_WEBINAR:
        assert work.starts_at is not None
        client.move_webinar(zoom_id, work.starts_at, work.duration_minutes)
        return None
    if work.kind is PlatformJobKind.CANCEL_WEBINAR:
        client.delete_webinar(zoom_id)
        return None
    if work.kind is PlatformJobKind.CHECK_WEBINAR:
        try:
            found = client.get_webinar(zoom_id)
            return zoom_status(found), found
        except PermanentError as exc:
            if exc.status in (400, 404):  # 3001 "does not exist", or not an ID at all
                return NOT_FOUND
            return f"Zoom refused to show this webinar ({exc}): check the Zoom app's scopes"
    if work.kind is PlatformJobKind.CREATE_WEBINAR:
        assert work.starts_at is not None
        return client.create_webinar(
            work.title, work.summary, work.starts_at, work.duration_minutes
        )
    try:
        return _minutes_by_person(list(client.participants(zoom_id)))
    except PermanentError as exc:
        if exc.status == 404:  # the report is not ready yet: wait and ask again
            raise TransientError(str(exc)) from exc
        raise


NOT_FOUND = "Zoom has no webinar with this ID: check the number"


def zoom_status(found: ZoomWebinar) -> str:
    """What the organiser page says of a linked Zoom webinar, in plain words."""
    if not found.registration_required:
        return (
            "Zoom's webinar does not require registration: people could join without "
            "registering here — turn on registration in Zoom"
        )
    when = f", {uktime.format_datetime(found.start_time)}" if found.start_time else ""
    return f"Linked: Zoom webinar “{found.topic[:200]}”{when}, registration required"


def _record_created(work: Work, created: ZoomWebinar, now: datetime) -> None:
    """Link the webinar to the Zoom webinar just created, then add everyone with a place."""
    linked = db.session.execute(
        update(Webinar)
        .where(
            Webinar.id == work.webinar_id,
            Webinar.zoom_webinar_id.is_(None),
            Webinar.teams_webinar_id.is_(None),
            Webinar.status != WebinarStatus.CANCELLED,
        )
        .values(zoom_webinar_id=created.webinar_id, zoom_status=zoom_status(created))
        .execution_options(synchronize_session=False)
    ).rowcount
    if not linked:
        # Linked some other way (or cancelled) while Zoom was creating it: not needed.
        jobs.enqueue(
            PlatformJobKind.CANCEL_WEBINAR,
            f"w{work.webinar_id}:unneeded:z{created.webinar_id}",
            webinar_id=work.webinar_id,
            platform_webinar_id=created.webinar_id,
            now=now,
        )
        return
    _fill_dial_in(work.webinar_id, created)
    webinar = db.session.get(Webinar, work.webinar_id)
    assert webinar is not None
    db.session.refresh(webinar)
    jobs.add_everyone(webinar, now)


def _fill_dial_in(webinar_id: int, found: ZoomWebinar) -> None:
    """Zoom's phone numbers and meeting ID, unless the organisers entered their own."""
    if not found.dial_in:
        return
    db.session.execute(
        update(Webinar)
        .where(Webinar.id == webinar_id, Webinar.dial_in_numbers == "")
        .values(dial_in_numbers="\n".join(found.dial_in), dial_in_meeting_id=found.meeting_id)
        .execution_options(synchronize_session=False)
    )


def _settle(job_id: int, owner: str, status: PlatformJobStatus, **values: object) -> bool:
    return leases.settle(PlatformJob, job_id, owner, status, **values)


def _record_success(work: Work, owner: str, result: object, now: datetime) -> None:
    if work.kind is PlatformJobKind.ADD_REGISTRANT:
        assert isinstance(result, Registrant)
        stored = db.session.execute(
            update(Registration)
            .where(
                Registration.id == work.registration_id,
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.erased_at.is_(None),
            )
            .values(**_personal(work.platform, result.registrant_id, result.join_url))
            .execution_options(synchronize_session=False)
        ).rowcount
        if not stored:
            # They gave up the place (or were erased) while the platform was adding them.
            jobs.enqueue(
                PlatformJobKind.CANCEL_REGISTRANT,
                f"reg{work.registration_id}:late:{result.registrant_id}",
                webinar_id=work.webinar_id,
                platform=work.platform,
                platform_webinar_id=work.platform_webinar_id,
                registration_id=work.registration_id,
                platform_registrant_id=result.registrant_id,
                now=now,
            )
    elif work.kind is PlatformJobKind.CANCEL_REGISTRANT:
        stored_id = (
            Registration.teams_registration_id
            if work.platform is Platform.TEAMS
            else Registration.zoom_registrant_id
        )
        db.session.execute(
            update(Registration)
            .where(
                Registration.id == work.registration_id,
                Registration.status != RegistrationStatus.CONFIRMED,
                stored_id == work.registrant_id,
            )
            .values(**_personal(work.platform, None, None))
            .execution_options(synchronize_session=False)
        )
    elif work.kind is PlatformJobKind.CHECK_WEBINAR:
        status, found = result if isinstance(result, tuple) else (result, None)
        db.session.execute(
            update(Webinar)
            .where(
                Webinar.id == work.webinar_id,
                Webinar.zoom_webinar_id == work.platform_webinar_id,
            )
            .values(zoom_status=status)
            .execution_options(synchronize_session=False)
        )
        if found is not None:
            _fill_dial_in(work.webinar_id, found)
    elif work.kind is PlatformJobKind.CREATE_WEBINAR:
        assert isinstance(result, ZoomWebinar)
        _record_created(work, result, now)
    elif work.kind is PlatformJobKind.FETCH_ATTENDANCE:
        webinar = db.session.get(Webinar, work.webinar_id)
        assert webinar is not None and isinstance(result, list)
        teams = work.platform is Platform.TEAMS
        source = AttendanceSource.TEAMS if teams else AttendanceSource.ZOOM
        attendance.record_report(webinar, source, result, None, now)
    _settle(
        work.job_id,
        owner,
        PlatformJobStatus.DONE,
        attempts=work.attempts + 1,
        done_at=now,
        last_error=None,
        platform_registrant_id=None,
    )


def _personal(
    platform: Platform, registrant_id: str | None, join_url: str | None
) -> dict[str, str | None]:
    """The registration's columns holding the platform's id and personal join link."""
    if platform is Platform.TEAMS:
        return {"teams_registration_id": registrant_id, "teams_join_url": join_url}
    return {"zoom_registrant_id": registrant_id, "zoom_join_url": join_url}


def _release(owner: str, job_ids: list[int], due_at: datetime | None = None) -> None:
    leases.release(PlatformJob, owner, job_ids, due_at)


@dataclass
class PassReport:
    done: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0


def _run_batch(
    client: ZoomClient | TeamsClient,
    approvals: _Approvals | None,
    items: list[Work],
    owner: str,
    clock: Callable[[], datetime],
    report: PassReport,
) -> bool:
    """Make each call and record it; False when the platform is down or asks us to wait
    (the rest goes back to the queue)."""
    max_attempts = current_app.config["ZOOM_MAX_ATTEMPTS"]
    for index, work in enumerate(items):
        if work.moot:
            _settle(work.job_id, owner, PlatformJobStatus.SKIPPED, platform_registrant_id=None)
            db.session.commit()
            report.skipped += 1
            continue
        try:
            result = perform(client, approvals, work)
        except TransientError as exc:
            now = clock()
            rest = [w.job_id for w in items[index + 1 :]]
            if exc.retry_after is not None:
                # The rate limit: this call and the rest wait at least as long as asked.
                due = now + timedelta(seconds=exc.retry_after)
                _settle(work.job_id, owner, _QUEUED, due_at=due, last_error=str(exc)[:200])
                db.session.commit()
                _release(owner, rest, due)
                report.retried += 1
                return False
            retried = leases.retry_or_fail(
                PlatformJob,
                work.job_id,
                owner,
                attempts=work.attempts + 1,
                max_attempts=max_attempts,
                now=now,
                error=str(exc),
            )
            report.retried += retried
            report.failed += not retried
            db.session.commit()
            _release(owner, rest)
            return False
        except PermanentError as exc:
            _settle(
                work.job_id,
                owner,
                PlatformJobStatus.FAILED,
                attempts=work.attempts + 1,
                last_error=str(exc)[:200],
            )
            db.session.commit()
            report.failed += 1
            continue
        except Exception as exc:  # a bug in one call must not stop the others
            log.exception("platform job %s (%s) failed", work.job_id, work.kind)
            _settle(
                work.job_id,
                owner,
                PlatformJobStatus.FAILED,
                attempts=work.attempts + 1,
                last_error=type(exc).__name__,
            )
            db.session.commit()
            report.failed += 1
            continue
        _record_success(work, owner, result, clock())
        db.session.commit()
        report.done += 1
    return True


def run(now: datetime) -> int:
    """The sweep: plan attendance fetches, then make the due calls, one pass per platform.
    Returns calls made."""
    cfg = current_app.config
    started = time.monotonic()

    def clock() -> datetime:  # `now`, moving on with real time during the pass
        return now + timedelta(seconds=time.monotonic() - started)

    leases.reap(PlatformJob, now)
    plan_attendance(now)
    db.session.commit()
    done = 0
    for platform, make_client in (
        (Platform.ZOOM, ZoomClient.from_config),
        (Platform.TEAMS, TeamsClient.from_config),
    ):
        try:
            client: ZoomClient | TeamsClient = make_client(cfg)
        except NotConfigured as exc:
            due = db.session.scalar(
                select(PlatformJob.id).where(
                    PlatformJob.status == _QUEUED,
                    PlatformJob.due_at <= now,
                    PlatformJob.platform == platform,
                )
            )
            db.session.rollback()
            if due is not None:
                log.warning("%s calls are waiting: %s", platform, exc)
            continue
        done += _pass(platform, client, clock)
    return done


def _pass(
    platform: Platform, client: ZoomClient | TeamsClient, clock: Callable[[], datetime]
) -> int:
    owner = secrets.token_hex(8)
    approvals = _Approvals(client) if isinstance(client, ZoomClient) else None
    report = PassReport()
    made = 0
    while made < PASS_LIMIT:
        lease = current_app.config["OUTBOX_LEASE_SECONDS"]
        ids = claim(clock(), owner, BATCH_SIZE, lease, platform)
        if not ids:
            break
        made += len(ids)
        if not _run_batch(client, approvals, prepare(ids, owner), owner, clock, report):
            break
    if made:
        log.info(
            "%s calls: done=%d retried=%d failed=%d skipped=%d",
            platform,
            report.done,
            report.retried,
            report.failed,
            report.skipped,
        )
    return report.done
