"""What the service tells other systems: the JSON records of the API and of webhooks.

One shape for each thing, whichever way it leaves: a webinar as the public sees it, and a
registration as one host organisation may see it (its own marketing opt-in only; health
details only when the key or webhook endpoint was created to include them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from eventsapp import uktime
from eventsapp.extensions import db
from eventsapp.links import external_url
from eventsapp.models import (
    FormQuestion,
    Organisation,
    PanelMember,
    Registration,
    Webinar,
)
from eventsapp.models.attendance import attended
from eventsapp.services.webinars import Availability


def utc(moment: datetime) -> str:
    """ISO 8601 in UTC, ending in Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _host(organisation: Organisation) -> dict[str, Any]:
    return {"name": organisation.name, "website": organisation.website or None}


def _panel_member(member: PanelMember) -> dict[str, Any]:
    speaker = member.speaker
    photo = None
    if speaker.photo_filename:
        photo = external_url(
            "public.speaker_photo", speaker_id=speaker.id, v=speaker.photo_filename[:8]
        )
    return {
        "name": speaker.name,
        "role": member.role,
        "professional_title": speaker.professional_title or None,
        "photo_url": photo,
    }


def webinar_record(webinar: Webinar, state: Availability) -> dict[str, Any]:
    """A webinar as the public pages show it (schema: api/openapi.py "Webinar")."""
    page = external_url("public.webinar", slug=webinar.slug)
    return {
        "slug": webinar.slug,
        "title": webinar.title,
        "summary": webinar.summary,
        "starts_at": utc(webinar.starts_at),
        "ends_at": utc(webinar.ends_at),
        "when": uktime.format_when(webinar.starts_at, webinar.ends_at),
        "hosts": [_host(h) for h in webinar.hosts],
        "panel": [_panel_member(m) for m in webinar.panel],
        "availability": str(state),
        "places_left": webinar.seats_left if state is Availability.OPEN else None,
        "url": page,
        "registration_url": page + "#register" if state.accepts_registrations else None,
        "ics_url": external_url("public.webinar_ics", slug=webinar.slug),
    }


def _health_questions(registration: Registration) -> set[int]:
    ids = [answer.question_id for answer in registration.answers]
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(FormQuestion.id).where(
                FormQuestion.id.in_(ids), FormQuestion.about_health.is_(True)
            )
        )
    )


def registration_record(
    registration: Registration, organisation_id: int, *, include_health: bool
) -> dict[str, Any]:
    """A registration as one host organisation may see it (schema: "Registration").

    Erased people keep only what the figures need: id, webinar, status and attendance.
    """
    webinar = registration.webinar
    record = registration.attendance
    base: dict[str, Any] = {
        "id": registration.id,
        "webinar": webinar.slug,
        "status": registration.status,
        "registered_at": utc(registration.created_at),
        "status_changed_at": utc(registration.status_changed_at),
        "attended": attended(record, webinar),
        "minutes_attended": record.minutes if record is not None else None,
        "erased": registration.erased_at is not None,
    }
    if registration.erased_at is not None:
        return {**base, "name": None, "email": None, "i_am": None, "marketing_opt_in": False}
    base.update(
        name=registration.full_name,
        email=registration.email,
        i_am=registration.audience,
        marketing_opt_in=any(
            consent.organisation_id == organisation_id and consent.given
            for consent in registration.marketing_consents
        ),
    )
    health = _health_questions(registration) if registration.answers else set()
    answers = [
        {"question": answer.asked, "answer": answer.answer}
        for answer in registration.answers
        if include_health or answer.question_id not in health
    ]
    base["answers"] = answers
    if include_health:
        base["question_for_panel"] = registration.question
        base["access_needs"] = registration.access_needs
    return base
