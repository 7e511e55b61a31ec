"""After the webinar: a thank-you with the recording and the survey for those who came,
"sorry we missed you" with the recording for those who did not. Each once, through the
outbox; people who stopped emails about this webinar get none."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import outbox
from eventsapp.models import Attendance, Registration, User, Webinar
from eventsapp.services import audit
from eventsapp.services.attendance import attended
from eventsapp.services.errors import DomainError

ATTENDED, MISSED = "follow_up_attended", "follow_up_missed"


class FollowUpError(DomainError):
    pass


def send(webinar: Webinar, actor: User | None, now: datetime) -> int:
    """Queue follow-ups for everyone with a place; returns how many were new."""
    if webinar.status != "published" or now < webinar.ends_at:
        raise FollowUpError("Follow-ups can be sent once the webinar has ended")
    rows = db.session.execute(
        select(Registration, Attendance)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(
            Registration.webinar_id == webinar.id,
            Registration.status == "confirmed",
            Registration.reminders_opt_out.is_(False),
        )
    ).all()
    queued = 0
    for registration, record in rows:
        kind = ATTENDED if attended(record, webinar) else MISSED
        # One follow-up per person, whichever kind: the key does not include it.
        queued += outbox.enqueue(
            kind,
            recipient=registration.email,
            dedupe_key=f"follow_up:reg{registration.id}",
            now=now,
            registration=registration,
        )
    audit.record("follow_ups.sent", actor=actor, now=now, webinar=webinar, emails=queued)
    return queued
