"""The personal join link: what it shows when, and the record of who clicked it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import update

from eventsapp.extensions import db
from eventsapp.models import Registration, RegistrationStatus, WebinarStatus


class JoinState(StrEnum):
    WAITING = "waiting"  # before doors open
    LIVE = "live"  # doors open until the end: go to the platform
    NO_LINK = "no_link"  # live, but the organisers have not added the platform link
    ENDED = "ended"
    REGISTRATION_CANCELLED = "registration_cancelled"
    WEBINAR_CANCELLED = "webinar_cancelled"
    NOT_CONFIRMED = "not_confirmed"  # on the waiting list


def state(registration: Registration, now: datetime) -> JoinState:
    webinar = registration.webinar
    if webinar.status == WebinarStatus.CANCELLED:
        return JoinState.WEBINAR_CANCELLED
    if registration.status == RegistrationStatus.CANCELLED:
        return JoinState.REGISTRATION_CANCELLED
    if registration.status != RegistrationStatus.CONFIRMED:
        return JoinState.NOT_CONFIRMED
    if now >= webinar.ends_at:
        return JoinState.ENDED
    if now < webinar.doors_open_at:
        return JoinState.WAITING
    return JoinState.LIVE if platform_url(registration) else JoinState.NO_LINK


def platform_url(registration: Registration) -> str | None:
    """Where their join link sends them: their own Zoom or Teams link once the platform has
    registered them (it lets them in without a second registration), else the webinar's
    general link."""
    return (
        registration.zoom_join_url or registration.teams_join_url or registration.webinar.join_url
    )


def record_join(registration: Registration, now: datetime) -> None:
    """First and last click and a count; one UPDATE, so concurrent clicks all count."""
    db.session.execute(
        update(Registration)
        .where(Registration.id == registration.id)
        .values(
            join_clicks=Registration.join_clicks + 1,
            joined_last_at=now,
            joined_first_at=db.func.coalesce(Registration.joined_first_at, now),
        )
        .execution_options(synchronize_session=False)
    )
