"""Announcements: an organiser writes to some of a webinar's registrants.

Written, previewed with the number of people it will reach, then sent once through the
outbox (one email per person, with the disclaimer footer and their manage link). People who
stopped emails about the webinar get none. Organisers may write a Welsh version beside the
English (both its subject and body, or neither): whoever registered in Welsh gets it, in a
Welsh email; without it, the English (mail/render.email_language decides, at send time).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventsapp.extensions import db
from eventsapp.locales import WELSH
from eventsapp.mail import outbox
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import (
    Announcement,
    Audience,
    Registration,
    RegistrationStatus,
    User,
    Webinar,
    attended,
)
from eventsapp.services import audit
from eventsapp.services.errors import DomainError


class AnnouncementError(DomainError):
    pass


def _reachable(webinar: Webinar) -> list[Registration]:
    """Everyone an announcement could reach, with their attendance, in two queries."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.webinar_id == webinar.id,
                Registration.status.in_(
                    (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
                ),
                Registration.reminders_opt_out.is_(False),
            )
            .options(selectinload(Registration.attendance))
            .order_by(Registration.id)
        )
    )


def _includes(audience: Audience, registration: Registration, webinar: Webinar) -> bool:
    if audience is Audience.EVERYONE:
        return True
    if audience is Audience.WAITLISTED:
        return registration.status == RegistrationStatus.WAITLISTED
    if registration.status != RegistrationStatus.CONFIRMED:
        return False
    if audience is Audience.CONFIRMED:
        return True
    return attended(registration.attendance, webinar) == (audience is Audience.ATTENDED)


def recipients(webinar: Webinar, audience: Audience) -> list[Registration]:
    return [r for r in _reachable(webinar) if _includes(audience, r, webinar)]


def offered(webinar: Webinar, now: datetime) -> list[Audience]:
    """Who an announcement may be for now: by attendance only once the webinar has ended
    (before, "did not attend" would be everyone with a place)."""
    ended = webinar.ends_at <= now
    return [a for a in Audience if ended or not a.about_attendance]


def reach(webinar: Webinar, now: datetime) -> dict[Audience, int]:
    """How many each audience offered now would reach (one load for all of them)."""
    people = _reachable(webinar)
    return {a: sum(_includes(a, r, webinar) for r in people) for a in offered(webinar, now)}


def in_welsh(people: list[Registration]) -> int:
    """How many of them registered in Welsh (they get the Welsh version, if there is one)."""
    return sum(person.language == WELSH for person in people)


def draft(
    webinar: Webinar,
    audience: Audience,
    subject: str,
    body: str,
    actor: User,
    now: datetime,
    subject_cy: str = "",
    body_cy: str = "",
) -> Announcement:
    """A draft to preview. Its Welsh version is optional, but whole: half of one would be
    silently left out (Announcement.has_welsh), so both parts or neither."""
    if audience not in offered(webinar, now):
        raise AnnouncementError(
            "You can write to people by whether they attended once the webinar has ended",
            "audience",
        )
    if subject_cy.strip() and not body_cy.strip():
        raise AnnouncementError(
            "Write the message in Welsh too, or clear the Welsh subject", "body_cy"
        )
    if body_cy.strip() and not subject_cy.strip():
        raise AnnouncementError(
            "Enter the subject in Welsh too, or clear the Welsh message", "subject_cy"
        )
    announcement = Announcement(
        webinar_id=webinar.id,
        audience=audience,
        subject=subject,
        body=body,
        subject_cy=subject_cy.strip(),
        body_cy=body_cy.strip(),
        created_by=actor.id,
        created_at=now,
        recipients=0,
    )
    db.session.add(announcement)
    db.session.flush()
    return announcement


def for_webinar(webinar: Webinar) -> list[Announcement]:
    return list(
        db.session.scalars(
            select(Announcement)
            .where(Announcement.webinar_id == webinar.id, Announcement.sent_at.is_not(None))
            .order_by(Announcement.sent_at.desc())
        )
    )


def find(webinar: Webinar, announcement_id: int) -> Announcement | None:
    announcement = db.session.get(Announcement, announcement_id)
    return announcement if announcement and announcement.webinar_id == webinar.id else None


def send(announcement: Announcement, webinar: Webinar, actor: User, now: datetime) -> int:
    """Queue it for each person it is for, once; returns how many."""
    if announcement.sent_at is not None:
        raise AnnouncementError("This announcement has already been sent")
    people = recipients(webinar, Audience(announcement.audience))
    if not people:
        raise AnnouncementError("No one would receive it: choose who it is for again")
    for registration in people:
        outbox.enqueue(
            EmailKind.ANNOUNCEMENT,
            recipient=registration.email,
            now=now,
            registration=registration,
            context={"announcement_id": announcement.id},
            announcement=announcement.id,
        )
    announcement.sent_at, announcement.recipients = now, len(people)
    audit.record(
        "announcement.sent",
        actor=actor,
        now=now,
        webinar=webinar,
        announcement=announcement.id,
        audience=announcement.audience,
        emails=len(people),
    )
    return len(people)
