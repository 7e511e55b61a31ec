"""Organisers' view of who registered: counts, search, export, and acting on someone's behalf."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, literal, or_, select
from sqlalchemy.orm import selectinload

from eventsapp import uktime
from eventsapp.extensions import db
from eventsapp.models import (
    AUDIENCES,
    MarketingConsent,
    Registration,
    RegistrationStatus,
    User,
    Webinar,
    attended,
)
from eventsapp.services import access, audit, form_questions
from eventsapp.services import registration as registrations
from eventsapp.services.errors import DomainError
from eventsapp.services.spreadsheets import csv_text
from eventsapp.services.text_reminders import wants_text


class RegistrantError(DomainError):
    pass


@dataclass(frozen=True)
class Counts:
    confirmed: int
    waitlisted: int
    cancelled: int
    capacity: int

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.confirmed, 0)

    @property
    def total(self) -> int:
        return self.confirmed + self.waitlisted + self.cancelled


@dataclass(frozen=True)
class Filters:
    search: str = ""
    status: str = ""
    audience: str = ""
    marketing: str = ""  # "", "any" (opted in to at least one organisation) or "none"
    need: str = ""  # a CommunicationNeed value: those who asked for it


def counts(webinar: Webinar) -> Counts:
    rows = dict(
        db.session.execute(
            select(Registration.status, func.count())
            .where(Registration.webinar_id == webinar.id)
            .group_by(Registration.status)
        ).all()
    )
    return Counts(
        confirmed=rows.get(RegistrationStatus.CONFIRMED, 0),
        waitlisted=rows.get(RegistrationStatus.WAITLISTED, 0),
        cancelled=rows.get(RegistrationStatus.CANCELLED, 0),
        capacity=webinar.capacity,
    )


def search(webinar: Webinar, filters: Filters) -> list[Registration]:
    query = (
        select(Registration)
        .where(Registration.webinar_id == webinar.id)
        .options(
            selectinload(Registration.marketing_consents),
            selectinload(Registration.attendance),
            selectinload(Registration.answers),
        )
        .order_by(Registration.created_at, Registration.id)
    )
    if filters.search.strip():
        query = query.where(name_or_email_contains(filters.search))
    if filters.status:
        query = query.where(Registration.status == filters.status)
    if filters.audience == "unstated":
        query = query.where(Registration.audience.is_(None))
    elif filters.audience:
        query = query.where(Registration.audience == filters.audience)
    opted_in = select(MarketingConsent.registration_id).where(MarketingConsent.given.is_(True))
    if filters.marketing == "any":
        query = query.where(Registration.id.in_(opted_in))
    elif filters.marketing == "none":
        query = query.where(Registration.id.not_in(opted_in))
    if filters.need:
        # Stored as values joined by spaces (models/registration.py): match a whole word.
        padded = literal(" ") + Registration.communication_needs + literal(" ")
        query = query.where(padded.like(f"% {filters.need} %"))
    return list(db.session.scalars(query))


def name_or_email_contains(text: str) -> ColumnElement[bool]:
    """Case-insensitive search of registrants by part of their name or email."""
    like = f"%{text.strip().lower()}%"
    return or_(
        func.lower(Registration.full_name).like(like), Registration.email_normalised.like(like)
    )


def export_csv(webinar: Webinar, rows: list[Registration]) -> str:
    hosts = list(webinar.hosts)
    asked = {q.id: q for q in (*form_questions.active(webinar), *form_questions.answered(webinar))}
    header = [
        "Name",
        "Email",
        "Status",
        "I am",
        "Question",
        "Accessibility needs",
        "Registered (UK time)",
        "Consent notice version",
        "Attended",
        "Minutes",
        *(q.label for q in asked.values()),
    ] + [f"News from {org.name}" for org in hosts]
    # Whether they asked for a text reminder (and did not reply STOP); never the number.
    header.append("Text reminder")
    # Their communication needs (by label), and who registered them if a carer did.
    header += ["Communication needs", "Registered by (carer)"]
    texting = wants_text([reg.id for reg in rows])

    def row(reg: Registration) -> list[object]:
        chosen = {c.organisation_id: c.given for c in reg.marketing_consents}
        answers = {a.question_id: a.answer for a in reg.answers}
        return [
            reg.full_name,
            reg.email,
            reg.status,
            AUDIENCES.get(reg.audience or "", ""),
            reg.question,
            reg.access_needs,
            uktime.to_uk(reg.created_at).strftime("%Y-%m-%d %H:%M"),
            reg.consent_notice_version,
            "yes" if attended(reg.attendance, webinar) else "no",
            reg.attendance.minutes if reg.attendance and reg.attendance.minutes is not None else "",
            *(answers.get(q, "") for q in asked),
        ] + ["yes" if chosen.get(org.id) else "no" for org in hosts]

    def last(reg: Registration) -> list[object]:
        return [
            "yes" if reg.id in texting else "no",
            "; ".join(need.label for need in reg.needs),
            reg.carer_name or "",
        ]

    return csv_text(header, (row(reg) + last(reg) for reg in rows))


def export_questions_csv(rows: list[Registration]) -> str:
    return csv_text(
        ["Question", "Asked by (first name)", "I am", "Status"],
        (
            (
                reg.question,
                reg.full_name.split(" ")[0],
                AUDIENCES.get(reg.audience or "", ""),
                reg.question_status,
            )
            for reg in rows
        ),
    )


def registration_in(webinar: Webinar, registration_id: int) -> Registration:
    return access.row_of(
        webinar,
        Registration,
        registration_id,
        RegistrantError("That person is not registered for this webinar"),
    )


def promote(webinar: Webinar, registration_id: int, actor: User, now: datetime) -> Registration:
    """Give a specific person on the waiting list a free seat."""
    registration = registration_in(webinar, registration_id)
    if registration.status != RegistrationStatus.WAITLISTED:
        raise RegistrantError("Only someone on the waiting list can be given a place")
    if not registrations.confirm_waitlisted(registration, now):
        raise RegistrantError("There are no free places. Raise the capacity first, then move them.")
    audit.record(
        "registration.promoted", actor=actor, now=now, webinar=webinar, registration=registration.id
    )
    return registration


def cancel_for(webinar: Webinar, registration_id: int, actor: User, now: datetime) -> None:
    registration = registration_in(webinar, registration_id)
    if registration.status == RegistrationStatus.CANCELLED:
        raise RegistrantError("That registration is already cancelled")
    registrations.cancel(registration, now, by="organiser")
    audit.record(
        "registration.cancelled",
        actor=actor,
        now=now,
        webinar=webinar,
        registration=registration.id,
    )
