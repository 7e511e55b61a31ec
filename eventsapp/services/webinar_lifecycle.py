"""Organisers' changes to webinars, and what each change means for registrants.

A change to the start, duration or join link of a published webinar raises its SEQUENCE
and queues an updated invite for every confirmed registrant; a cancellation raises it
and queues a METHOD:CANCEL. Dedupe keys carry the new SEQUENCE, so one change is one
email per registrant, and saving the same values again changes (and sends) nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select

from eventsapp import text
from eventsapp.extensions import db
from eventsapp.mail import outbox
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import (
    Organisation,
    PanelMember,
    Registration,
    RegistrationStatus,
    User,
    WebhookEventType,
    Webinar,
    WebinarStatus,
)
from eventsapp.models.communication_needs import ALL_NEEDS, CommunicationNeed
from eventsapp.platforms import jobs as platform_jobs
from eventsapp.services import audit, review, webhook_events
from eventsapp.services.errors import DomainError
from eventsapp.services.registration import promote_from_waitlist

DEFAULT_REMINDERS = [1440, 60]


class WebinarError(DomainError):
    """A change that cannot be made; the message says why and what to do."""


@dataclass
class WebinarInput:
    title: str
    starts_at: datetime
    duration_minutes: int
    capacity: int
    host_ids: list[int]
    slug: str = ""
    summary: str = ""
    description: str = ""
    waitlist_enabled: bool = True
    registration_closes_at: datetime | None = None
    join_url: str | None = None
    recording_url: str | None = None
    zoom_webinar_id: str | None = None
    teams_webinar_id: str | None = None
    email_note: str = ""
    reminder_offsets: list[int] = field(default_factory=lambda: list(DEFAULT_REMINDERS))
    dial_in_numbers: str = ""
    dial_in_meeting_id: str = ""
    dial_in_passcode: str = ""
    # The communication needs its registration form offers, and the booking reminder's
    # days before the start (models/webinar.py).
    needs_offered: list[str] = field(default_factory=lambda: list(ALL_NEEDS))
    needs_booking_days: int = 14
    # Welsh twins of the organisers' words (models/webinar.py); empty shows the English.
    title_cy: str = ""
    summary_cy: str = ""
    description_cy: str = ""
    email_note_cy: str = ""


# Changes that alter what is in registrants' calendars or how they join.
_CALENDAR_FIELDS = (
    "starts_at",
    "duration_minutes",
    "join_url",
    "dial_in_numbers",
    "dial_in_meeting_id",
    "dial_in_passcode",
)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "webinar"


def _unique_slug(base: str, exclude_id: int | None = None) -> str:
    slug, n = base, 2
    while _slug_taken(slug, exclude_id):
        slug = f"{base[:76]}-{n}"
        n += 1
    return slug


def _slug_taken(slug: str, exclude_id: int | None) -> bool:
    query = select(Webinar.id).where(Webinar.slug == slug)
    if exclude_id is not None:
        query = query.where(Webinar.id != exclude_id)
    return db.session.scalars(query).first() is not None


def _hosts(
    actor: User, host_ids: list[int], current: list[Organisation] | None = None
) -> list[Organisation]:
    """The chosen hosts, if this actor may set them.

    Partners cannot drop each other: only an admin, or an organisation itself (stop_cohosting),
    takes an organisation off a webinar, which would otherwise vanish from its organisers.
    """
    hosts = list(
        db.session.scalars(
            select(Organisation).where(Organisation.id.in_(host_ids)).order_by(Organisation.id)
        )
    )
    if not hosts:
        raise WebinarError("Choose at least one host organisation", "hosts")
    if actor.is_admin:
        return hosts
    if actor.organisation_id not in {h.id for h in hosts}:
        raise WebinarError(
            "Your own organisation must stay a host, or you could not manage this webinar",
            "hosts",
        )
    dropped = [h for h in current or [] if h not in hosts]
    if dropped:
        name = dropped[0].name
        raise WebinarError(
            f"Only an admin, or {name} itself, can remove {name} as a host. Tick it again",
            "hosts",
        )
    return hosts


def _record_hosts(
    webinar: Webinar,
    before: list[Organisation],
    actor: User,
    now: datetime,
) -> None:
    """Audit which organisations came and went, and tell the organisers of those added."""
    added = [h for h in webinar.hosts if h not in before]
    removed = [h for h in before if h not in webinar.hosts]
    if not (added or removed):
        return
    audit.record(
        "webinar.hosts_changed",
        actor=actor,
        now=now,
        webinar=webinar,
        added=[{"id": o.id, "name": o.name} for o in added],
        removed=[{"id": o.id, "name": o.name} for o in removed],
    )
    db.session.flush()
    for org in added:
        outbox.notify_organisers(
            EmailKind.COHOST_ADDED,
            [org.id],
            webinar,
            now,
            organisation=org.name,
            added_by=_acting_for(actor),
        )


def _acting_for(actor: User) -> str:
    """Who did it, as partners are told: the actor's organisation, or an admin."""
    return actor.organisation.name if actor.organisation else "An admin"


def stop_cohosting(webinar: Webinar, actor: User, now: datetime) -> None:
    """The actor's own organisation leaves a webinar it co-hosts; the others are told."""
    own = actor.organisation
    if own is None or own not in webinar.hosts:
        raise WebinarError("Your organisation does not host this webinar")
    if len(webinar.hosts) == 1:
        raise WebinarError(
            "Your organisation is the only host. Cancel or delete the webinar instead"
        )
    before = list(webinar.hosts)
    webinar.hosts = [h for h in before if h != own]
    webinar.updated_at = now
    _record_hosts(webinar, before, actor, now)
    outbox.notify_organisers(
        EmailKind.COHOST_LEFT, [h.id for h in webinar.hosts], webinar, now, organisation=own.name
    )


def confirmed_count(webinar: Webinar) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(
                Registration.webinar_id == webinar.id,
                Registration.status == RegistrationStatus.CONFIRMED,
            )
        )
        or 0
    )


def _stored(data: WebinarInput) -> dict[str, object]:
    """The webinar's columns as `data` sets them (every field of WebinarInput but hosts)."""
    values: dict[str, object] = {
        f.name: getattr(data, f.name) for f in fields(WebinarInput) if f.name != "host_ids"
    }
    for optional in ("join_url", "recording_url", "zoom_webinar_id", "teams_webinar_id"):
        values[optional] = values[optional] or None
    values["reminder_offsets"] = sorted(set(data.reminder_offsets), reverse=True)
    values["needs_offered"] = [need.value for need in CommunicationNeed.parse(data.needs_offered)]
    values["dial_in_numbers"] = "\n".join(
        line.strip() for line in data.dial_in_numbers.splitlines() if line.strip()
    )
    return values


def create(data: WebinarInput, actor: User, now: datetime) -> Webinar:
    slug = data.slug.strip() or slugify(data.title)
    if data.slug.strip() and _slug_taken(slug, None):
        raise WebinarError("That web address is already used by another webinar", "slug")
    webinar = Webinar(
        **{**_stored(data), "slug": _unique_slug(slug)},
        seats_taken=0,
        registration_open=True,
        status=WebinarStatus.DRAFT,
        sequence=0,
        created_at=now,
        updated_at=now,
        hosts=_hosts(actor, data.host_ids),
    )
    db.session.add(webinar)
    db.session.flush()
    platform_jobs.check_webinar(webinar, now)
    audit.record("webinar.created", actor=actor, now=now, webinar=webinar)
    own = [h for h in webinar.hosts if h.id == actor.organisation_id]
    _record_hosts(webinar, own, actor, now)
    return webinar


class Change(StrEnum):
    """What changed, as stored in an update email's outbox row: data, worded when it is sent
    in the email's language (mail/render.py), not English sentences fixed when it was saved."""

    MOVED = "moved"  # "from", "to": the old and new start, ISO 8601 in UTC
    ENDS = "ends"  # "at": the new end, ISO 8601 in UTC
    PHONE = "phone"  # the dial-in numbers, meeting ID or passcode
    JOIN_LINK = "join_link"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _describe_changes(webinar: Webinar, data: WebinarInput) -> list[dict[str, str]]:
    """What changed for registrants' calendars and joining, for the update email."""
    changes: list[dict[str, str]] = []
    new_end = data.starts_at + timedelta(minutes=data.duration_minutes)
    if data.starts_at != webinar.starts_at:
        changes.append(
            {
                "change": Change.MOVED.value,
                "from": _iso(webinar.starts_at),
                "to": _iso(data.starts_at),
            }
        )
    if new_end != webinar.ends_at:
        changes.append({"change": Change.ENDS.value, "at": _iso(new_end)})
    stored = _stored(data)
    if any(
        stored[name] != getattr(webinar, name)
        for name in ("dial_in_numbers", "dial_in_meeting_id", "dial_in_passcode")
    ):
        changes.append({"change": Change.PHONE.value})
    if (data.join_url or None) != webinar.join_url:
        changes.append({"change": Change.JOIN_LINK.value})
    return changes


@dataclass(frozen=True)
class Updated:
    """What an edit did: the fields that changed, and how many registrants it emails."""

    changed: list[str]
    emailed: int = 0


def update(webinar: Webinar, data: WebinarInput, actor: User, now: datetime) -> Updated:
    """Apply an edit."""
    if webinar.status == WebinarStatus.CANCELLED:
        raise WebinarError("A cancelled webinar cannot be changed")
    slug = data.slug.strip() or webinar.slug
    if slug != webinar.slug and _slug_taken(slug, webinar.id):
        raise WebinarError("That web address is already used by another webinar", "slug")
    if data.starts_at != webinar.starts_at and data.starts_at <= now:
        # A typo that moved a webinar into the past would end it at once: follow-ups skipped,
        # and past the retention period its registrants' details erased within a minute.
        raise WebinarError("The new start is in the past. Check the date and time", "start_date")
    confirmed = confirmed_count(webinar)
    if data.capacity < confirmed:
        raise WebinarError(
            f"Capacity cannot be lower than the {confirmed} people already confirmed. "
            "Cancel registrations first, or choose a larger number",
            "capacity",
        )
    hosts = _hosts(actor, data.host_ids, list(webinar.hosts))
    calendar_changes = _describe_changes(webinar, data)

    new_values = {**_stored(data), "slug": slug}
    changed = [name for name, value in new_values.items() if getattr(webinar, name) != value]
    hosts_before = list(webinar.hosts)
    if [h.id for h in hosts] != [h.id for h in webinar.hosts]:
        changed.append("hosts")
        webinar.hosts = hosts
    if not changed:
        return Updated([])
    raised_capacity = data.capacity > webinar.capacity
    old_end = webinar.ends_at
    for name, value in new_values.items():
        setattr(webinar, name, value)
    if "zoom_webinar_id" in changed:
        webinar.zoom_status = None  # not checked yet
    webinar.updated_at = now
    published = webinar.status == WebinarStatus.PUBLISHED
    # Calendars matter until it is over; correcting a past webinar's times emails no one.
    notify = (
        published
        and any(f in changed for f in _CALENDAR_FIELDS)
        and now < max(old_end, webinar.ends_at)
    )
    emailed = 0
    if notify:
        webinar.sequence += 1
        db.session.flush()
        emailed = _notify(webinar, EmailKind.WEBINAR_UPDATED, now, changes=calendar_changes)
    _follow_on_zoom(webinar, changed, now, now < max(old_end, webinar.ends_at))
    if raised_capacity:
        db.session.flush()
        promote_from_waitlist(webinar, now)
    announce_change(webinar, [name for name in changed if name in _PUBLIC_FIELDS], now)
    audit.record(
        "webinar.updated",
        actor=actor,
        now=now,
        webinar=webinar,
        fields=changed,
        sequence=webinar.sequence,
    )
    _record_hosts(webinar, hosts_before, actor, now)
    return Updated(changed, emailed)


# What the public (and so partners' webhooks) can see of a webinar.
_PUBLIC_FIELDS = (
    "slug",
    "title",
    "summary",
    "description",
    "starts_at",
    "duration_minutes",
    "capacity",
    "waitlist_enabled",
    "registration_closes_at",
    "registration_open",
    "hosts",
    "panel",
)


def announce_change(webinar: Webinar, changed: list[str], now: datetime) -> None:
    """A published webinar's public details changed: the webinar.changed webhook event."""
    if changed and webinar.status == WebinarStatus.PUBLISHED:
        webhook_events.emit(WebhookEventType.WEBINAR_CHANGED, webinar.id, now, changes=changed)


def _follow_on_zoom(webinar: Webinar, changed: list[str], now: datetime, to_come: bool) -> None:
    """Newly linked (Zoom or Teams): everyone with a place is added there. Moved: Zoom's
    times follow."""
    if platform_jobs.linked(webinar) is None or webinar.status == WebinarStatus.CANCELLED:
        return
    db.session.flush()
    if {"zoom_webinar_id", "teams_webinar_id"} & set(changed):
        platform_jobs.add_everyone(webinar, now)
    if "zoom_webinar_id" in changed:
        platform_jobs.check_webinar(webinar, now)
    if to_come and {"starts_at", "duration_minutes", "zoom_webinar_id"} & set(changed):
        platform_jobs.move_webinar(webinar, now)


def _notify(webinar: Webinar, kind: EmailKind, now: datetime, **context: object) -> int:
    """Email everyone registered whom `kind` is for (its statuses)."""
    registrations = db.session.scalars(
        select(Registration).where(
            Registration.webinar_id == webinar.id,
            Registration.status.in_(sorted(kind.rules.statuses)),
        )
    )
    sent = 0
    for registration in registrations:
        sent += outbox.enqueue(
            kind,
            recipient=registration.email,
            now=now,
            registration=registration,
            context=dict(context),
            sequence=webinar.sequence,
        )
    return sent


def publish(webinar: Webinar, actor: User, now: datetime) -> None:
    if webinar.status != WebinarStatus.DRAFT:
        raise WebinarError("Only a draft can be published")
    if webinar.ends_at <= now:
        raise WebinarError("This webinar's time has passed. Change the start before publishing")
    review.require_all(webinar)
    webinar.status = WebinarStatus.PUBLISHED
    webinar.updated_at = now
    webhook_events.emit(WebhookEventType.WEBINAR_PUBLISHED, webinar.id, now)
    audit.record("webinar.published", actor=actor, now=now, webinar=webinar)


def set_registration_open(webinar: Webinar, is_open: bool, actor: User, now: datetime) -> None:
    if webinar.registration_open == is_open:
        return
    webinar.registration_open = is_open
    webinar.updated_at = now
    announce_change(webinar, ["registration_open"], now)
    action = "registration.reopened" if is_open else "registration.closed"
    audit.record(action, actor=actor, now=now, webinar=webinar)


def cancel(webinar: Webinar, message: str, actor: User, now: datetime) -> int:
    """Cancel and tell everyone registered or waiting; returns how many emails were queued."""
    if webinar.status == WebinarStatus.CANCELLED:
        return 0
    was_published = webinar.status == WebinarStatus.PUBLISHED
    webinar.status = WebinarStatus.CANCELLED
    webinar.sequence += 1
    webinar.updated_at = now
    db.session.flush()
    platform_jobs.cancel_webinar(webinar, now)
    queued = 0
    if was_published:
        queued = _notify(webinar, EmailKind.WEBINAR_CANCELLED, now, message=message)
        webhook_events.emit(WebhookEventType.WEBINAR_CANCELLED, webinar.id, now)
    audit.record("webinar.cancelled", actor=actor, now=now, webinar=webinar, emails=queued)
    partners = [h.id for h in webinar.hosts if h.id != actor.organisation_id]
    if partners:  # the partners hear it from us, not from their registrants
        outbox.notify_organisers(
            EmailKind.COHOST_CANCELLED,
            partners,
            webinar,
            now,
            organisation=_acting_for(actor),
            message=message,
            told=text.people(queued) if queued else "",
        )
    return queued


def duplicate(webinar: Webinar, actor: User, now: datetime) -> Webinar:
    """A new draft a week later with the same content, hosts and panel: the next in a series."""
    copy = Webinar(
        slug=_unique_slug(webinar.slug),
        title=webinar.title,
        summary=webinar.summary,
        description=webinar.description,
        title_cy=webinar.title_cy,
        summary_cy=webinar.summary_cy,
        description_cy=webinar.description_cy,
        email_note_cy=webinar.email_note_cy,
        starts_at=webinar.starts_at + timedelta(days=7),
        duration_minutes=webinar.duration_minutes,
        capacity=webinar.capacity,
        seats_taken=0,
        waitlist_enabled=webinar.waitlist_enabled,
        registration_open=True,
        status=WebinarStatus.DRAFT,
        reminder_offsets=list(webinar.reminder_offsets),
        email_note=webinar.email_note,
        needs_offered=list(webinar.needs_offered),
        needs_booking_days=webinar.needs_booking_days,
        sequence=0,
        created_at=now,
        updated_at=now,
        hosts=list(webinar.hosts),
    )
    copy.panel = [
        PanelMember(speaker=m.speaker, role=m.role, position=m.position) for m in webinar.panel
    ]
    db.session.add(copy)
    db.session.flush()
    audit.record("webinar.duplicated", actor=actor, now=now, webinar=copy, source=webinar.id)
    return copy


def can_delete(webinar: Webinar) -> bool:
    """Only a draft no one has registered for: anything else is cancelled instead."""
    if webinar.status != WebinarStatus.DRAFT:
        return False
    registered = select(func.count()).where(Registration.webinar_id == webinar.id)
    return not db.session.scalar(registered)


def delete(webinar: Webinar, actor: User, now: datetime) -> None:
    if not can_delete(webinar):
        raise WebinarError("Only a draft with no registrations can be deleted. Cancel it instead")
    audit.record("webinar.deleted", actor=actor, now=now, title=webinar.title, id=webinar.id)
    db.session.delete(webinar)


def input_from(webinar: Webinar) -> WebinarInput:
    """The current values, as the edit form starts from them."""
    names = {f.name for f in fields(WebinarInput)} - {"host_ids"}
    values = {name: getattr(webinar, name) for name in names}
    return WebinarInput(host_ids=[h.id for h in webinar.hosts], **values)
