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
from typing import Any

from flask import current_app
from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.orm.util import identity_key

from eventsapp.change_feed import SeatsTaken
from eventsapp.extensions import db
from eventsapp.mail import outbox
from eventsapp.models import MarketingConsent, Registration, Webinar, registration_statement
from eventsapp.models.inserts import insert_unless_exists
from eventsapp.services import privacy_notices, tokens, webinars
from eventsapp.services.webinars import Availability, RegistrationTarget, availability

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
    registration_id: int

    @property
    def registration(self) -> Registration:
        """Loaded when asked for: the registration POST itself never needs the object."""
        registration = db.session.get(Registration, self.registration_id)
        assert registration is not None
        return registration


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _derive(purpose: str, registration_id: int | None, salt: str) -> str:
    return tokens.derive(current_app.config["SECRET_KEY"], purpose, registration_id, salt)


def _stored_link_hash(purpose: str, salt: str) -> str:
    """The hash stored for a new manage or join link: derived from the salt alone, so it
    is written with the registration's row (the id does not exist yet)."""
    return tokens.digest(_derive(purpose, None, salt))


def _stored_link(purpose: str, registration: Registration, salt: str, stored: str | None) -> str:
    """The link whose hash is stored. Links issued before 2026-11-22 were derived from the
    id and the salt; they keep working, so whichever matches the stored hash is the link."""
    token = _derive(purpose, None, salt)
    if stored is None or tokens.digest(token) == stored:
        return token
    return _derive(purpose, registration.id, salt)


def manage_token(registration: Registration) -> str:
    return _stored_link(
        MANAGE, registration, registration.token_salt, registration.manage_token_hash
    )


def join_token(registration: Registration) -> str:
    assert registration.join_salt is not None
    return _stored_link(JOIN, registration, registration.join_salt, registration.join_token_hash)


def stop_reminders_token(registration: Registration) -> str:
    """For the List-Unsubscribe link: checked by recomputing it, so nothing is stored."""
    return _derive(STOP_REMINDERS, registration.id, registration.join_salt or "")


def feedback_token(registration: Registration) -> str:
    return _derive(FEEDBACK, registration.id, registration.join_salt or "")


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


_webinars = Webinar.__table__
# Built once (this is the hot path): the conditional UPDATEs that take and give back a seat.
_TAKE_SEAT = (
    update(_webinars)
    .where(
        _webinars.c.id == bindparam("webinar_id"), _webinars.c.seats_taken < _webinars.c.capacity
    )
    .values(seats_taken=_webinars.c.seats_taken + 1)
    .returning(_webinars.c.seats_taken)
)
_RELEASE_SEAT = (
    update(_webinars)
    .where(_webinars.c.id == bindparam("webinar_id"), _webinars.c.seats_taken > 0)
    .values(seats_taken=_webinars.c.seats_taken - 1)
)


def _take_seat(webinar_id: int) -> int | None:
    """The seats taken once this one is, or None if there was none free."""
    return db.session.execute(_TAKE_SEAT, {"webinar_id": webinar_id}).scalar()


def _release_seat(webinar_id: int) -> None:
    db.session.execute(_RELEASE_SEAT, {"webinar_id": webinar_id})


def _set_status(registration: Registration, status: str, now: datetime) -> None:
    registration.status = status
    registration.status_changed_at = now
    registration.version += 1


def _status_key(kind: str, registration_id: int | str, version: int) -> str:
    """One email per kind per status change: the version rises with every change."""
    return f"{kind}:reg{registration_id}:v{version}"


def _enqueue_status_email(
    registration: Registration, kind: str, now: datetime, **context: object
) -> None:
    outbox.enqueue(
        kind,
        recipient=registration.email,
        dedupe_key=_status_key(kind, registration.id, registration.version),
        now=now,
        registration=registration,
        context=dict(context),
    )


def register(
    webinar: Webinar | RegistrationTarget, data: RegistrationInput, now: datetime
) -> RegistrationResult:
    """Register `data` for the webinar: a seat, else the waiting list, else RegistrationError.

    Written in a handful of Core statements, because this is the hot path when an
    announcement brings thousands of people at once: insert (or, after a cancellation,
    renew) the registration with its link hashes, record the marketing choices, take the
    seat and queue the email. The seat's conditional UPDATE comes last but one, so the
    webinar's row lock (PostgreSQL) is held only until the commit just after it. On
    RegistrationError the caller rolls back (the registration row is already written).
    """
    target = webinar if isinstance(webinar, RegistrationTarget) else RegistrationTarget.of(webinar)
    state = availability(target, now)
    if not state.accepts_registrations:
        # Before looking the address up: a registered address and a new one get the same answer.
        raise RegistrationError(state)
    email_normalised = normalise_email(data.email)
    # What the seat will most likely give, so the usual case writes the status once.
    expected = "confirmed" if state is Availability.OPEN else "waitlisted"
    notice = privacy_notices.current().version
    registration_id = _insert(target.id, data, email_normalised, expected, now, notice)
    if registration_id is None:
        existing = db.session.execute(
            select(
                _registrations.c.id,
                _registrations.c.status,
                _registrations.c.version,
                _registrations.c.email,
                _registrations.c.join_salt,
            ).where(
                _registrations.c.webinar_id == target.id,
                _registrations.c.email_normalised == email_normalised,
            )
        ).one()
        if existing.status != "cancelled":
            return _already_registered(target.id, existing.id, existing.email, state, now)
        registration_id = existing.id
        version = existing.version + 1
        _renew(existing, version, data, expected, now, notice)
    else:
        version = 1
    _record_marketing(registration_id, target, data.marketing_organisation_ids, now, notice)
    status = _take_place(target)
    if status != expected:  # the last seat went (or one came free) since the page was read
        db.session.execute(_SET_STATUS, {"registration_id": registration_id, "status": status})
    kind = "confirmation" if status == "confirmed" else "waitlisted"
    outbox.enqueue_by_id(
        kind,
        recipient=data.email.strip(),
        dedupe_key=_status_key(kind, registration_id, version),
        now=now,
        registration_id=registration_id,
        webinar_id=target.id,
    )
    if isinstance(webinar, Webinar):
        db.session.expire(webinar, ["seats_taken"])
    return RegistrationResult(_place_label(status), registration_id)


def register_and_commit(
    target: RegistrationTarget, data: RegistrationInput, now: datetime
) -> RegistrationResult:
    """register() and commit: the whole write of the registration form.

    On PostgreSQL a new address is registered by one statement on its own (see
    models/registration_statement.py); anything else (an address registered before, a full
    webinar) goes the general way. On RegistrationError nothing is saved.
    """
    if db.engine.dialect.name == "postgresql" and availability(target, now).accepts_registrations:
        result = _register_in_one_statement(target, data, now)
        if result is not None:
            return result
    try:
        result = register(target, data, now)
    except RegistrationError:
        db.session.rollback()
        raise
    db.session.commit()
    return result


_ID_SLOT = "\x00"
# The email's dedupe key around the registration's id, which the statement puts in.
_KEY_HEAD_CONFIRMED, _KEY_TAIL = _status_key("confirmation", _ID_SLOT, 1).split(_ID_SLOT)
_KEY_HEAD_WAITLISTED = _status_key("waitlisted", _ID_SLOT, 1).split(_ID_SLOT)[0]


def _register_in_one_statement(
    target: RegistrationTarget, data: RegistrationInput, now: datetime
) -> RegistrationResult | None:
    """None when the statement did nothing: the caller goes the general way."""
    notice = privacy_notices.current().version
    values = _new_registration(target.id, data, normalise_email(data.email), now, notice)
    prefix = registration_statement.PREFIX
    chosen = data.marketing_organisation_ids
    with db.engine.connect() as connection:
        row = (
            connection.execution_options(isolation_level="AUTOCOMMIT")
            .execute(
                registration_statement.statement(tuple(values)),
                {
                    **{prefix + name: value for name, value in values.items()},
                    "host_ids": [host.id for host in target.hosts],
                    "host_given": [host.id in chosen for host in target.hosts],
                    "now": now,
                    "message_id": outbox.new_message_id(),
                    "key_head_confirmed": _KEY_HEAD_CONFIRMED,
                    "key_head_waitlisted": _KEY_HEAD_WAITLISTED,
                    "key_tail": _KEY_TAIL,
                },
            )
            .first()
        )
    if row is None:
        return None
    taken = row.seats_taken
    webinars.committed_page_changes([] if taken is None else [SeatsTaken(target.id, taken)])
    return RegistrationResult(_place_label(row.status), row.id)


_registrations = Registration.__table__
_consents = MarketingConsent.__table__
_INSERT_CONSENTS = insert(_consents)
_SET_STATUS = (
    update(_registrations)
    .where(_registrations.c.id == bindparam("registration_id"))
    .values(status=bindparam("status"))
)


def _personal_details(data: RegistrationInput, now: datetime, notice: str) -> dict[str, Any]:
    return {
        "full_name": data.full_name,
        "email": data.email.strip(),
        "audience": data.audience,
        "question": data.question,
        "access_needs": data.access_needs,
        "consent_given_at": now,
        "consent_notice_version": notice,
        "status_changed_at": now,
    }


def _new_registration(
    webinar_id: int, data: RegistrationInput, email_normalised: str, now: datetime, notice: str
) -> dict[str, Any]:
    """A new registration's values but its status, with fresh link tokens."""
    salt, join_salt = tokens.new_salt(), tokens.new_salt()
    return {
        "webinar_id": webinar_id,
        "email_normalised": email_normalised,
        "version": 1,
        "ical_sequence_offset": 0,
        "created_at": now,
        "token_salt": salt,
        "manage_token_hash": _stored_link_hash(MANAGE, salt),
        "join_salt": join_salt,
        "join_token_hash": _stored_link_hash(JOIN, join_salt),
        **_personal_details(data, now, notice),
    }


def _insert(
    webinar_id: int,
    data: RegistrationInput,
    email_normalised: str,
    status: str,
    now: datetime,
    notice: str,
) -> int | None:
    """A new registration with its link tokens; None if this address is registered already
    (the unique constraint decides, also between two requests at the same moment)."""
    row = db.session.execute(
        insert_unless_exists(_registrations, "webinar_id", "email_normalised"),
        {**_new_registration(webinar_id, data, email_normalised, now, notice), "status": status},
    ).first()
    if row is None:
        return None
    return int(row.id)


def _renew(
    existing: Row[Any],
    version: int,
    data: RegistrationInput,
    status: str,
    now: datetime,
    notice: str,
) -> None:
    """Registering again after cancelling: new details, consent and manage link; the join
    link stays (it was never revoked). The new invite must outrank the CANCEL they got."""
    salt = tokens.new_salt()
    values: dict[str, Any] = {
        **_personal_details(data, now, notice),
        "status": status,
        "version": version,
        "ical_sequence_offset": _registrations.c.ical_sequence_offset + 1,
        "token_salt": salt,
        "manage_token_hash": _stored_link_hash(MANAGE, salt),
    }
    if existing.join_salt is None:
        join_salt = tokens.new_salt()
        values["join_salt"] = join_salt
        values["join_token_hash"] = _stored_link_hash(JOIN, join_salt)
    db.session.execute(
        update(_registrations).where(_registrations.c.id == existing.id).values(**values)
    )
    db.session.execute(delete(_consents).where(_consents.c.registration_id == existing.id))
    loaded = db.session.identity_map.get(identity_key(Registration, existing.id))
    if loaded is not None:  # a caller holding the object sees the renewal
        db.session.expire(loaded)


def _record_marketing(
    registration_id: int,
    target: RegistrationTarget,
    chosen: frozenset[int],
    now: datetime,
    notice: str,
) -> None:
    """One record per host organisation, yes or no: each is a separate controller."""
    if target.hosts:
        db.session.execute(
            _INSERT_CONSENTS,
            [
                {
                    "registration_id": registration_id,
                    "organisation_id": host.id,
                    "given": host.id in chosen,
                    "recorded_at": now,
                    "notice_version": notice,
                }
                for host in target.hosts
            ],
        )


def _take_place(target: RegistrationTarget) -> str:
    taken = _take_seat(target.id)
    # All register() writes is this count and rows no public page shows.
    webinars.declare_page_changes([] if taken is None else [SeatsTaken(target.id, taken)])
    if taken is not None:
        return "confirmed"
    if target.waitlist_enabled:
        return "waitlisted"
    raise RegistrationError(Availability.FULL)


def _already_registered(
    webinar_id: int, registration_id: int, email: str, state: Availability, now: datetime
) -> RegistrationResult:
    """Tell the owner by email (at most once an hour), change nothing; the page says what a
    newcomer would be told (`state`: what the webinar offers now)."""
    webinars.declare_page_changes([])
    outbox.enqueue_by_id(
        "already_registered",
        recipient=email,
        dedupe_key=f"already_registered:reg{registration_id}:{now:%Y%m%d%H}",
        now=now,
        registration_id=registration_id,
        webinar_id=webinar_id,
    )
    return RegistrationResult(
        "confirmed" if state is Availability.OPEN else "waitlist", registration_id
    )


def _place_label(status: str) -> str:
    return "confirmed" if status == "confirmed" else "waitlist"


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
    while _take_seat(webinar.id) is not None:
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
    if registration.status != "waitlisted" or _take_seat(registration.webinar_id) is None:
        return False
    _confirm_promoted(registration, now)
    db.session.expire(registration.webinar, ["seats_taken"])
    return True
