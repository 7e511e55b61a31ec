"""The feedback survey: one response per registrant, editable until it closes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import (
    FeedbackResponse,
    Registration,
    RegistrationStatus,
    Webinar,
    WebinarStatus,
)


class SurveyState(StrEnum):
    NOT_YET = "not_yet"  # the webinar has not ended
    OPEN = "open"
    CLOSED = "closed"
    NOT_BOOKED = "not_booked"  # cancelled or never had a place


@dataclass(frozen=True)
class FeedbackInput:
    overall: int
    usefulness: int
    would_recommend: bool
    comments: str = ""


@dataclass(frozen=True)
class Summary:
    responses: int
    overall: float | None
    usefulness: float | None
    recommend_percent: int | None
    comments: list[str]


def state(registration: Registration, now: datetime) -> SurveyState:
    webinar = registration.webinar
    booked = registration.status == RegistrationStatus.CONFIRMED
    if not booked or webinar.status != WebinarStatus.PUBLISHED:
        return SurveyState.NOT_BOOKED
    if now < webinar.ends_at:
        return SurveyState.NOT_YET
    return SurveyState.OPEN if now < webinar.feedback_closes_at else SurveyState.CLOSED


def response_of(registration: Registration) -> FeedbackResponse | None:
    return db.session.scalars(
        select(FeedbackResponse).where(FeedbackResponse.registration_id == registration.id)
    ).one_or_none()


def save(registration: Registration, data: FeedbackInput, now: datetime) -> FeedbackResponse:
    """Create or change their response (the caller has checked the survey is open)."""
    response = response_of(registration)
    if response is None:
        response = FeedbackResponse(registration=registration, submitted_at=now)
        db.session.add(response)
    response.overall = data.overall
    response.usefulness = data.usefulness
    response.would_recommend = data.would_recommend
    response.comments = data.comments
    response.updated_at = now
    return response


def summary(webinar: Webinar) -> Summary:
    rows = list(
        db.session.scalars(
            select(FeedbackResponse)
            .join(Registration, Registration.id == FeedbackResponse.registration_id)
            .where(Registration.webinar_id == webinar.id)
            .order_by(FeedbackResponse.submitted_at)
        )
    )
    if not rows:
        return Summary(0, None, None, None, [])
    count = len(rows)
    return Summary(
        responses=count,
        overall=round(sum(r.overall for r in rows) / count, 1),
        usefulness=round(sum(r.usefulness for r in rows) / count, 1),
        recommend_percent=round(100 * sum(r.would_recommend for r in rows) / count),
        comments=[r.comments for r in rows if r.comments.strip()],
    )
