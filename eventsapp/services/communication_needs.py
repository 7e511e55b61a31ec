"""What registrants' communication needs add up to for organisers: counts and names per need
on the webinar page, and the reminder to book captions or an interpreter in time.

Each need's effect is read from models/communication_needs.py (CommunicationNeed.effect):
nothing here lists needs of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import outbox
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import Registration, RegistrationStatus, Webinar, WebinarStatus
from eventsapp.models.communication_needs import CommunicationNeed

log = logging.getLogger(__name__)

# The organisers' form allows this many days at most (organiser/forms.py): the sweep looks
# no further ahead.
MAX_BOOKING_DAYS = 90

_REGISTERED = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


@dataclass(frozen=True)
class NeedCount:
    need: CommunicationNeed
    count: int
    # Who asked (named needs only: organisers act for each person), confirmed or waiting;
    # "Mary Smith (registered by Carol Carer)" when a carer registered them.
    names: list[str]


def summary(webinar: Webinar) -> list[NeedCount]:
    """Per need this webinar offers or someone chose: how many of the people registered
    (confirmed or waiting) asked for it, and for needs organisers act on, who."""
    rows = db.session.execute(
        select(Registration.full_name, Registration.carer_name, Registration.communication_needs)
        .where(
            Registration.webinar_id == webinar.id,
            Registration.status.in_(_REGISTERED),
            Registration.erased_at.is_(None),
            Registration.communication_needs != "",
        )
        .order_by(Registration.full_name, Registration.id)
    ).all()
    names: dict[CommunicationNeed, list[str]] = {need: [] for need in CommunicationNeed}
    for name, carer, stored in rows:
        who = f"{name} (registered by {carer})" if carer else name
        for need in CommunicationNeed.parse(stored):
            names[need].append(who)
    shown = set(webinar.offered_needs) | {need for need, who in names.items() if who}
    return [
        NeedCount(need, len(names[need]), names[need] if need.effect.named else [])
        for need in CommunicationNeed
        if need in shown
    ]


def to_book(webinar: Webinar) -> dict[CommunicationNeed, int]:
    """The needs organisers must book ahead that someone has asked for, with how many."""
    return {c.need: c.count for c in summary(webinar) if c.need.effect.book_ahead and c.count}


def booking_due_at(webinar: Webinar) -> datetime:
    return webinar.starts_at - timedelta(days=webinar.needs_booking_days)


def plan_booking_reminders(now: datetime) -> int:
    """Email the host organisations' organisers of each published webinar, from its booking
    day (needs_booking_days before the start) until it starts, when anyone has asked for a
    need that must be booked ahead (live captions, a BSL interpreter). Once per webinar and
    set of needs (the dedupe key names the set): more people asking for the same need
    later send nothing new (the webinar page shows the count), a need asked for after the
    reminder went sends a second one with the counts as they are then. Returns how many
    emails were queued; the caller commits."""
    webinars = db.session.scalars(
        select(Webinar).where(
            Webinar.status == WebinarStatus.PUBLISHED,
            Webinar.starts_at > now,
            Webinar.starts_at <= now + timedelta(days=MAX_BOOKING_DAYS),
        )
    )
    queued = 0
    for webinar in webinars:
        if booking_due_at(webinar) > now or not webinar.hosts:
            continue
        needs = to_book(webinar)
        if not needs:
            continue
        queued += outbox.notify_organisers(
            EmailKind.NEEDS_BOOKING,
            [host.id for host in webinar.hosts],
            webinar,
            now,
            key={"about": webinar.id, "needs": "+".join(needs)},
            counts={need.value: count for need, count in needs.items()},
        )
    return queued


def booking_lines(counts: dict[str, int]) -> list[str]:
    """The booking reminder's lines: "Live captions (words on screen): 3 people"."""
    lines = []
    for need in CommunicationNeed.parse(list(counts)):
        count = counts[need.value]
        lines.append(f"{need.label}: {count} {'person' if count == 1 else 'people'}")
    return lines
