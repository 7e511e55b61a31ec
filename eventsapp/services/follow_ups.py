"""After the webinar: a thank-you with the recording, survey and certificate for those who
came, "sorry we missed you" with the recording for those who did not.

Nothing goes until an organiser confirms the attendance is final, and they see who gets
which before they send. Each person gets each kind at most once; someone who attended is
never sent "sorry we missed you" (the email's rules check again when it is sent). If
attendance changes after the follow-ups went, those newly counted as attending get the
thank-you then.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import outbox
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import (
    Attendance,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    User,
    Webinar,
    WebinarStatus,
)
from eventsapp.services import audit
from eventsapp.services.attendance import attended
from eventsapp.services.errors import DomainError

KINDS = (EmailKind.FOLLOW_UP_ATTENDED, EmailKind.FOLLOW_UP_MISSED)


class FollowUpError(DomainError):
    pass


@dataclass
class Plan:
    """Who would get which follow-up if they were sent now."""

    thank: list[Registration] = field(default_factory=list)
    missed: list[Registration] = field(default_factory=list)
    already: int = 0  # followed up before
    opted_out: int = 0  # stopped emails about this webinar


def plan(webinar: Webinar) -> Plan:
    sent: dict[int, set[str]] = defaultdict(set)
    for registration_id, kind in db.session.execute(
        select(OutboxMessage.registration_id, OutboxMessage.kind).where(
            OutboxMessage.webinar_id == webinar.id, OutboxMessage.kind.in_(KINDS)
        )
    ):
        sent[registration_id].add(kind)
    result = Plan()
    for registration, record in db.session.execute(
        select(Registration, Attendance)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(
            Registration.webinar_id == webinar.id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .order_by(Registration.id)
    ):
        had = sent[registration.id]
        if registration.reminders_opt_out:
            result.opted_out += 1
        elif attended(record, webinar) and EmailKind.FOLLOW_UP_ATTENDED not in had:
            result.thank.append(registration)  # a late check-in after "missed you" too
        elif not had:
            result.missed.append(registration)
        else:
            result.already += 1
    return result


def ready(webinar: Webinar, now: datetime) -> None:
    if webinar.status != WebinarStatus.PUBLISHED or now < webinar.ends_at:
        raise FollowUpError("Follow-ups can be sent once the webinar has ended")


def finalise_attendance(webinar: Webinar, actor: User, now: datetime) -> None:
    ready(webinar, now)
    if webinar.attendance_final_at is None:
        webinar.attendance_final_at = now
        audit.record("attendance.finalised", actor=actor, now=now, webinar=webinar)


def send(webinar: Webinar, actor: User | None, now: datetime) -> int:
    """Queue the planned follow-ups; returns how many."""
    ready(webinar, now)
    if webinar.attendance_final_at is None:
        raise FollowUpError("Confirm that the attendance is complete before sending follow-ups")
    queued = _queue(webinar, plan(webinar), now)
    webinar.follow_ups_sent_at = webinar.follow_ups_sent_at or now
    audit.record("follow_ups.sent", actor=actor, now=now, webinar=webinar, emails=queued)
    return queued


def catch_up(webinar: Webinar, now: datetime) -> int:
    """After an attendance change: if the follow-ups went already, thank the newly attended."""
    if webinar.follow_ups_sent_at is None:
        return 0
    return _queue(webinar, Plan(thank=plan(webinar).thank), now)


def _queue(webinar: Webinar, todo: Plan, now: datetime) -> int:
    queued = 0
    for kind, people in ((KINDS[0], todo.thank), (KINDS[1], todo.missed)):
        for registration in people:
            queued += outbox.enqueue(
                kind, recipient=registration.email, now=now, registration=registration
            )
    return queued
