"""Planning reminders: a sweep the worker runs, idempotent and cheap.

For each published, upcoming webinar and each of its offsets whose time has come
(due = start - offset, computed in UTC, so "1 day before" is 24 real hours across a clock
change), one INSERT ... SELECT queues a reminder for every confirmed registrant who was
confirmed by then and has not opted out. A ReminderPlan row records that this (webinar,
offset, due time) is done; its unique key lets concurrent workers race safely. A moved
webinar has new due times, so its reminders follow it. Nothing is held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import outbox
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import Registration, RegistrationStatus, ReminderPlan, Webinar, WebinarStatus
from eventsapp.models.inserts import insert_unless_exists

_LONGEST_OFFSET = timedelta(days=8)  # the longest offset organisers can choose is a week


@dataclass(frozen=True)
class PlanReport:
    plans: int = 0
    reminders: int = 0


def due_time(webinar: Webinar, offset_minutes: int) -> datetime:
    return webinar.starts_at - timedelta(minutes=offset_minutes)


def _claim_plan(webinar: Webinar, offset: int, due_at: datetime, now: datetime) -> bool:
    """Insert the plan row; False if another worker (or an earlier sweep) has it."""
    inserted = db.session.execute(
        insert_unless_exists(ReminderPlan.__table__, "webinar_id", "offset_minutes", "due_at"),
        {
            "webinar_id": webinar.id,
            "offset_minutes": offset,
            "due_at": due_at,
            "planned_at": now,
            "reminders": 0,
        },
    ).first()
    return inserted is not None


def _queue(webinar: Webinar, offset: int, due_at: datetime, now: datetime) -> int:
    """One reminder to each person booked by the due time who has not stopped them."""
    return outbox.enqueue_each(
        EmailKind.REMINDER,
        Registration.webinar_id == webinar.id,
        Registration.status == RegistrationStatus.CONFIRMED,
        Registration.status_changed_at <= due_at,
        Registration.reminders_opt_out.is_(False),
        webinar_id=webinar.id,
        now=now,
        context={"offset": offset, "due_at": due_at.isoformat()},
        offset=offset,
        due=due_at,
    )


def plan(now: datetime) -> PlanReport:
    """Queue every reminder that has fallen due. The caller commits."""
    webinars = db.session.scalars(
        select(Webinar).where(
            Webinar.status == WebinarStatus.PUBLISHED,
            Webinar.starts_at > now,
            Webinar.starts_at <= now + _LONGEST_OFFSET,
        )
    ).all()
    plans = reminders = 0
    for webinar in webinars:
        for offset in webinar.reminder_offsets or []:
            due_at = due_time(webinar, offset)
            if due_at > now or not _claim_plan(webinar, offset, due_at, now):
                continue
            queued = _queue(webinar, offset, due_at, now)
            db.session.execute(
                ReminderPlan.__table__.update()
                .where(
                    ReminderPlan.webinar_id == webinar.id,
                    ReminderPlan.offset_minutes == offset,
                    ReminderPlan.due_at == due_at,
                )
                .values(reminders=queued)
            )
            plans += 1
            reminders += queued
    return PlanReport(plans, reminders)


def still_due(webinar: Webinar, context: dict, now: datetime) -> bool:
    """A queued reminder is sent only for the current schedule, and never late."""
    offset = context.get("offset")
    if not isinstance(offset, int) or now >= webinar.starts_at:
        return False
    return due_time(webinar, offset).isoformat() == context.get("due_at")
