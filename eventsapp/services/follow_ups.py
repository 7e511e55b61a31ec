"""After the webinar: a thank-you with the recording and the survey for those who came,
"sorry we missed you" with the recording for those who did not. Each once, through the
outbox; people who stopped emails about this webinar get none."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import outbox
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import (
    Attendance,
    Registration,
    RegistrationStatus,
    User,
    Webinar,
    WebinarStatus,
)
from eventsapp.services import audit
from eventsapp.services.attendance import attended
from eventsapp.services.errors import DomainError


class FollowUpError(DomainError):
    pass


def send(webinar: Webinar, actor: User | None, now: datetime) -> int:
    """Queue follow-ups for everyone with a place; returns how many were new."""
    if webinar.status != WebinarStatus.PUBLISHED or now < webinar.ends_at:
        raise FollowUpError("Follow-ups can be sent once the webinar has ended")
    rows = db.session.execute(
        select(Registration, Attendance)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(
            Registration.webinar_id == webinar.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Registration.reminders_opt_out.is_(False),
        )
    ).all()
    queued = 0
    for registration, record in rows:
        kind = (
            EmailKind.FOLLOW_UP_ATTENDED
            if attended(record, webinar)
            else EmailKind.FOLLOW_UP_MISSED
        )
        queued += outbox.enqueue(
            kind, recipient=registration.email, now=now, registration=registration
        )
    audit.record("follow_ups.sent", actor=actor, now=now, webinar=webinar, emails=queued)
    return queued
