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


def health_question_ids(registrations: list[Registration]) -> set[int]:
    """Which of the questions these people answered are about health (one query)."""
    ids = {answer.question_id for registration in registrations for answer in registration.answers}
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
    registration: Registration,
    organisation_id: int,
    *,
    include_health: bool,
    health_questions: set[int] | None = None,
) -> dict[str, Any]:
    """A registration as one host organisation may see it (schema: api/openapi.py
    "Registration"; the same whether it leaves by the API or by a webhook).

    - `marketing_opt_in`: whether they opted in to news from *this* organisation only.
    - Health (UK GDPR special category) only when `include_health`: the question for the
      panel, access needs, communication needs (captions, an interpreter …), whether a
      carer registered them (never the carer's name), answers to
      questions marked about health, and `i_am` (which says, for most, that they live
      with back pain).
    - Erased people keep only what the figures need: id, webinar, status, attendance and
      times; every personal field is null (`answers` empty).
    `health_questions`: the ids from `health_question_ids`, when recording many at once.
    """
    webinar = registration.webinar
    record = registration.attendance
    erased = registration.erased_at is not None
    base: dict[str, Any] = {
        "id": registration.id,
        "webinar": webinar.slug,
        "status": registration.status,
        "registered_at": utc(registration.created_at),
        "status_changed_at": utc(registration.status_changed_at),
        "updated_at": utc(registration.updated_at),
        "attended": attended(record, webinar),
        "minutes_attended": record.minutes if record is not None else None,
        "erased": erased,
        "name": None if erased else registration.full_name,
        "email": None if erased else registration.email,
        "language": registration.language,
        "marketing_opt_in": not erased
        and any(
            consent.organisation_id == organisation_id and consent.given
            for consent in registration.marketing_consents
        ),
        "answers": [],
    }
    if include_health:
        base["i_am"] = None if erased else registration.audience
        base["question_for_panel"] = None if erased else registration.question
        base["access_needs"] = None if erased else registration.access_needs
        base["communication_needs"] = [] if erased else [n.value for n in registration.needs]
        # Someone registering them says something about their health too.
        base["registered_by_carer"] = not erased and registration.carer_name is not None
    if erased or not registration.answers:
        return base
    if health_questions is None:
        health_questions = health_question_ids([registration])
    base["answers"] = [
        {"question": answer.asked, "answer": answer.answer}
        for answer in registration.answers
        if include_health or answer.question_id not in health_questions
    ]
    return base
