"""Registering, cancelling and the waiting list.

A seat is taken with one conditional UPDATE (see ../shared/research/reliability-security-
privacy.md): on PostgreSQL a concurrent updater re-checks the WHERE on the new row
version, on SQLite the write lock serialises writers. Every function here flushes and
never commits: the caller's single transaction carries the change and its outbox rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from eventsapp.extensions import db
from eventsapp.mail import outbox
from eventsapp.models import MarketingConsent, Registration, Webinar
from eventsapp.services import privacy_notices, tokens
from eventsapp.services.webinars import Availability, availability

MANAGE = "manage"
JOIN = "join"
STOP_REMINDERS = "stop-reminders"
FEEDBACK = "feedback"


class RegistrationError(Exception):
    """Registration is not possible; `availability` says why (closed, past, full ...)."""

    def __init__(self, state: Availability):
        super().__init__(state.value)
        self.state = state


@dataclass(frozen=True)
class RegistrationInput:
    full_name: str
    email: str
    audience: str | None = None
    question: str = ""
    access_needs: str = ""
    marketing_organisation_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class RegistrationResult:
    # What the visitor is told: "confirmed" or "waitlist". For an address that was
    # already registered it is what a newcomer would get now, so the page reveals
    # nothing about who has registered (the email tells the owner the truth).
    place: str
    registration: Registration


def normalise_email(email: str) -> str:
    return email.strip().lower()


def manage_token(registration: Registration) -> str:
    return tokens.derive(
        current_app.config["SECRET_KEY"], MANAGE, registration.id, registration.token_salt
    )


def join_token(registration: Registration) -> str:
    assert registration.join_salt is not None
    return tokens.derive(
        current_app.config["SECRET_KEY"], JOIN, registration.id, registration.join_salt
    )


def stop_reminders_token(registration: Registration) -> str:
    """For the List-Unsubscribe link: checked by recomputing it, so nothing is stored."""
    return tokens.derive(
        current_app.config["SECRET_KEY"],
        STOP_REMINDERS,
        registration.id,
        registration.join_salt or "",
    )


def feedback_token(registration: Registration) -> str:
    return tokens.derive(
        current_app.config["SECRET_KEY"], FEEDBACK, registration.id, registration.join_salt or ""
    )


def _find_by_id_and_token(
    registration_id: int, token: str, make: Callable[[Registration], str]
) -> Registration | None:
    """For links that carry the id and a token recomputed to check it (nothing stored)."""
    registration = db.session.get(Registration, registration_id)
    if registration is None or not tokens.equal(make(registration), token):
        return None
    return registration


def find_for_stop_reminders(registration_id: int, token: str) -> Registration | None:
    return _find_by_id_and_token(registration_id, token, stop_reminders_token)


def find_for_feedback(registration_id: int, token: str) -> Registration | None:
    return _find_by_id_and_token(registration_id, token, feedback_token)


def find_by_join_token(token: str) -> Registration | None:
    if not tokens.looks_valid(token):
        return None
    return db.session.scalars(
        select(Registration).where(Registration.join_token_hash == tokens.digest(token))
    ).one_or_none()


def find_by_manage_token(token: str) -> Registration | None:
    if not tokens.looks_valid(token):
        return None
    return db.session.scalars(
        select(Registration).where(Registration.manage_token_hash == tokens.digest(token))
    ).one_or_none()


def _take_seat(webinar_id: int) -> bool:
    result = db.session.execute(
        update(Webinar)
        .where(Webinar.id == webinar_id, Webinar.seats_taken < Webinar.capacity)
        .values(seats_taken=Webinar.seats_taken + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _release_seat(webinar_id: int) -> None:
    db.session.execute(
        update(Webinar)
        .where(Webinar.id == webinar_id, Webinar.seats_taken > 0)
        .values(seats_taken=Webinar.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )


def _set_status(registration: Registration, status: str, now: datetime) -> None:
    registration.status = status
    registration.status_changed_at = now
    registration.version += 1


def _issue_tokens(registration: Registration) -> None:
    """A new manage link every time; the join link once, for good."""
    registration.token_salt = tokens.new_salt()
    db.session.flush()  # the id is part of the token
    registration.manage_token_hash = tokens.digest(manage_token(registration))
    if registration.join_salt is None:
        registration.join_salt = tokens.new_salt()
        registration.join_token_hash = tokens.digest(join_token(registration))


def _enqueue_status_email(
    registration: Registration, kind: str, now: datetime, **context: object
) -> None:
    outbox.enqueue(
        kind,
        recipient=registration.email,
        dedupe_key=f"{kind}:reg{registration.id}:v{registration.version}",
        now=now,
        registration=registration,
        context=dict(context),
    )


def _record_marketing(
    registration: Registration, webinar: Webinar, chosen: frozenset[int], now: datetime, notice: str
) -> None:
    """One record per host organisation, yes or no: each is a separate controller."""
    registration.marketing_consents.clear()
    db.session.flush()
    for org in webinar.hosts:
        registration.marketing_consents.append(
            MarketingConsent(
                organisation=org, given=org.id in chosen, recorded_at=now, notice_version=notice
            )
        )


def register(webinar: Webinar, data: RegistrationInput, now: datetime) -> RegistrationResult:
    state = availability(webinar, now)
    if not state.accepts_registrations:
        # Before looking the address up: a registered address and a new one get the same answer.
        raise RegistrationError(state)
    email_normalised = normalise_email(data.email)
    existing = _find(webinar.id, email_normalised)
    if existing is None or existing.status == "cancelled":
        try:
            # The savepoint undoes the seat too if a concurrent request inserted the
            # same address first (the unique constraint decides).
            with db.session.begin_nested():
                registration = _place(webinar, existing, data, email_normalised, now)
            db.session.expire(webinar, ["seats_taken"])
            return RegistrationResult(_place_label(registration.status), registration)
        except IntegrityError:
            existing = _find(webinar.id, email_normalised)
            if existing is None:
                raise
    # Already registered: tell the owner by email (at most once an hour), change nothing.
    outbox.enqueue(
        "already_registered",
        recipient=existing.email,
        dedupe_key=f"already_registered:reg{existing.id}:{now:%Y%m%d%H}",
        now=now,
        registration=existing,
    )
    newcomer = availability(webinar, now)
    return RegistrationResult(
        "confirmed" if newcomer is Availability.OPEN else "waitlist", existing
    )


def _find(webinar_id: int, email_normalised: str) -> Registration | None:
    return db.session.scalars(
        select(Registration).where(
            Registration.webinar_id == webinar_id,
            Registration.email_normalised == email_normalised,
        )
    ).one_or_none()


def _place_label(status: str) -> str:
    return "confirmed" if status == "confirmed" else "waitlist"


def _place(
    webinar: Webinar,
    registration: Registration | None,
    data: RegistrationInput,
    email_normalised: str,
    now: datetime,
) -> Registration:
    """Take a seat or a waiting-list place, and store the registration (new or renewed)."""
    if _take_seat(webinar.id):
        status = "confirmed"
    elif webinar.waitlist_enabled:
        status = "waitlisted"
    else:
        raise RegistrationError(Availability.FULL)
    notice = privacy_notices.current().version
    if registration is None:
        registration = Registration(
            webinar=webinar,
            email_normalised=email_normalised,
            created_at=now,
            version=0,
            ical_sequence_offset=0,
        )
        db.session.add(registration)
    else:
        # Coming back after cancelling: the new invite must outrank the CANCEL they got.
        registration.ical_sequence_offset += 1
    registration.full_name = data.full_name
    registration.email = data.email.strip()
    registration.audience = data.audience
    registration.question = data.question
    registration.access_needs = data.access_needs
    registration.consent_given_at = now
    registration.consent_notice_version = notice
    _set_status(registration, status, now)
    _issue_tokens(registration)
    _record_marketing(registration, webinar, data.marketing_organisation_ids, now, notice)
    _enqueue_status_email(
        registration, "confirmation" if status == "confirmed" else "waitlisted", now
    )
    return registration


def cancel(
    registration: Registration, now: datetime, by: str = "registrant", notify: bool = True
) -> bool:
    """Cancel; a freed seat goes to the first person waiting, in this same transaction.

    The manage link is revoked: a used link then reveals nothing.
    """
    if registration.status == "cancelled":
        return False
    had_seat = registration.status == "confirmed"
    _set_status(registration, "cancelled", now)
    registration.token_salt = tokens.new_salt()
    registration.manage_token_hash = None
    if had_seat:
        registration.ical_sequence_offset += 1  # their copy gets METHOD:CANCEL
        _release_seat(registration.webinar_id)
    if notify:
        _enqueue_status_email(registration, "registration_cancelled", now, had_seat=had_seat, by=by)
    if had_seat:
        promote_from_waitlist(registration.webinar, now)
    db.session.expire(registration.webinar, ["seats_taken"])
    return True


def promote_from_waitlist(webinar: Webinar, now: datetime) -> list[Registration]:
    """Fill free seats from the waiting list, first come first served.

    SKIP LOCKED lets two concurrent cancellations promote two different people instead
    of both waiting for (and then both skipping) the same first row.
    """
    promoted: list[Registration] = []
    while _take_seat(webinar.id):
        nxt = db.session.scalars(
            select(Registration)
            .where(Registration.webinar_id == webinar.id, Registration.status == "waitlisted")
            .order_by(Registration.status_changed_at, Registration.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if nxt is None:
            _release_seat(webinar.id)
            break
        _confirm_promoted(nxt, now)
        promoted.append(nxt)
    db.session.expire(webinar, ["seats_taken"])
    return promoted


def _confirm_promoted(registration: Registration, now: datetime) -> None:
    _set_status(registration, "confirmed", now)
    _enqueue_status_email(registration, "confirmation", now, promoted=True)


def confirm_waitlisted(registration: Registration, now: datetime) -> bool:
    """Give this waiting person a seat if one is free (an organiser's choice of who)."""
    if registration.status != "waitlisted" or not _take_seat(registration.webinar_id):
        return False
    _confirm_promoted(registration, now)
    db.session.expire(registration.webinar, ["seats_taken"])
    return True
