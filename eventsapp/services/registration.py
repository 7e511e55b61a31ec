"""Registering, cancelling and the waiting list.

A seat is taken with one conditional UPDATE (see ../shared/research/reliability-security-
privacy.md): on PostgreSQL a concurrent updater re-checks the WHERE on the new row
version, on SQLite the write lock serialises writers. Every function here flushes and
never commits: the caller's single transaction carries the change and its outbox rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.orm.util import identity_key

from eventsapp.extensions import db
from eventsapp.locales import ENGLISH, LANGUAGES
from eventsapp.mail import outbox
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import (
    MarketingConsent,
    Registration,
    RegistrationStatus,
    WebhookEventType,
    Webinar,
)
from eventsapp.models.communication_needs import CommunicationNeed
from eventsapp.models.inserts import insert_unless_exists
from eventsapp.platforms import jobs as platform_jobs
from eventsapp.services import (
    audit,
    form_questions,
    privacy_notices,
    text_reminders,
    tokens,
    webhook_events,
)
from eventsapp.services.webinars import Availability, availability


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
    # The organisers' own questions: {question id: (wording asked, answer)}.
    answers: dict[int, tuple[str, str]] = field(default_factory=dict)
    # "Send me a text reminder": their UK mobile number in E.164, else None.
    text_reminder_phone: str | None = None
    # Communication needs chosen (models/communication_needs.py values). Only those the
    # webinar offers are kept (register() drops the rest).
    communication_needs: frozenset[str] = field(default_factory=frozenset)
    # A carer registering someone else: the carer's name (full_name is the attendee's).
    carer_name: str | None = None
    # The language they registered in, "en" or "cy" (the page's): their emails are in it.
    language: str = "en"


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


def _set_status(registration: Registration, status: RegistrationStatus, now: datetime) -> None:
    registration.status = status
    registration.status_changed_at = now
    registration.version += 1


def _enqueue_status_email(
    registration: Registration, kind: EmailKind, now: datetime, **context: object
) -> None:
    outbox.enqueue(
        kind, recipient=registration.email, now=now, registration=registration, context=context
    )


def register(webinar: Webinar, data: RegistrationInput, now: datetime) -> RegistrationResult:
    """Register `data` for the webinar: a seat, else the waiting list, else RegistrationError.

    Written in a handful of Core statements, because this is the hot path when an
    announcement brings thousands of people at once: insert (or, after a cancellation,
    renew) the registration with its link hashes, record the marketing choices, take the
    seat and queue the email. The seat's conditional UPDATE comes last but one, so the
    webinar's row lock (PostgreSQL) is held only until the commit just after it. On
    RegistrationError the caller rolls back (the registration row is already written).
    """
    state = availability(webinar, now)
    if not state.accepts_registrations:
        # Before looking the address up: a registered address and a new one get the same answer.
        raise RegistrationError(state)
    email_normalised = normalise_email(data.email)
    # What the seat will most likely give, so the usual case writes the status once.
    expected = (
        RegistrationStatus.CONFIRMED
        if state is Availability.OPEN
        else RegistrationStatus.WAITLISTED
    )
    notice = privacy_notices.current().version
    data = _offered_only(webinar, data)
    inserted = _insert(webinar.id, data, email_normalised, expected, now, notice)
    # From here an address already registered does the same work as a new one, so the time
    # taken does not tell anyone whether it is registered: it reads the row, and runs the
    # same writes in a savepoint that it then rolls back.
    existing = db.session.execute(
        select(
            _registrations.c.id,
            _registrations.c.status,
            _registrations.c.version,
            _registrations.c.email,
            _registrations.c.join_salt,
        ).where(
            _registrations.c.webinar_id == webinar.id,
            _registrations.c.email_normalised == email_normalised,
        )
    ).one()
    registration_id = existing.id
    if inserted is not None:
        version, taking_place = 1, True
    else:
        version = existing.version + 1
        # Renewed only while still cancelled: of two requests at once, the second finds it
        # registered again (PostgreSQL re-checks the condition once the first commits).
        taking_place = existing.status == RegistrationStatus.CANCELLED and _renew(
            existing, version, data, expected, now, notice
        )
    # A Core savepoint: only Core statements run in it, and the ORM has nothing to expire.
    savepoint = db.session.connection().begin_nested()
    try:
        _record_marketing(registration_id, webinar, data.marketing_organisation_ids, now, notice)
        form_questions.record_answers(registration_id, data.answers)
        text_reminders.record_opt_in(registration_id, data.text_reminder_phone, now)
        status = _take_place(webinar)
        if status != expected:  # the last seat went (or one came free) since the page was read
            db.session.execute(_SET_STATUS, {"registration_id": registration_id, "status": status})
        if status == RegistrationStatus.CONFIRMED:  # a webinar on Zoom or Teams: add them there
            platform_jobs.add_registrant(webinar, registration_id, version, now)
        webhook_events.emit(WebhookEventType.REGISTRATION_CREATED, webinar.id, now, registration_id)
    except RegistrationError:
        savepoint.rollback()
        if taking_place:
            raise
        status = expected
    else:
        if taking_place:
            savepoint.commit()
        else:
            savepoint.rollback()
    if not taking_place:
        return _already_registered(webinar.id, existing.id, existing.email, state, now)
    outbox.enqueue_by_id(
        EmailKind.CONFIRMATION if status == RegistrationStatus.CONFIRMED else EmailKind.WAITLISTED,
        recipient=data.email.strip(),
        now=now,
        registration_id=registration_id,
        webinar_id=webinar.id,
        version=version,
    )
    db.session.expire(webinar, ["seats_taken"])
    return RegistrationResult(_place_label(status), registration_id)


_registrations = Registration.__table__
_consents = MarketingConsent.__table__
_INSERT_CONSENTS = insert(_consents)
_SET_STATUS = (
    update(_registrations)
    .where(_registrations.c.id == bindparam("registration_id"))
    .values(status=bindparam("status"))
)


def _offered_only(webinar: Webinar, data: RegistrationInput) -> RegistrationInput:
    """The input with only the needs this webinar offers (a need posted that its form does
    not show is never stored, so never promised)."""
    offered = set(webinar.needs_offered or ())
    if set(data.communication_needs) <= offered:
        return data
    return replace(data, communication_needs=frozenset(data.communication_needs) & offered)


def _personal_details(data: RegistrationInput, now: datetime, notice: str) -> dict[str, Any]:
    return {
        "full_name": data.full_name,
        "carer_name": (data.carer_name or "").strip() or None,
        "communication_needs": CommunicationNeed.join(sorted(data.communication_needs)),
        "email": data.email.strip(),
        "audience": data.audience,
        "question": data.question,
        "access_needs": data.access_needs,
        "consent_given_at": now,
        "consent_notice_version": notice,
        "status_changed_at": now,
        # Typing the address again is a new start: an old hard bounce no longer stops mail.
        "email_bounced": False,
        # Registering again (after cancelling) from a page in the other language switches.
        "language": data.language if data.language in LANGUAGES else ENGLISH,
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
        "manage_token_hash": tokens.stored_link_hash(tokens.Purpose.MANAGE, salt),
        "join_salt": join_salt,
        "join_token_hash": tokens.stored_link_hash(tokens.Purpose.JOIN, join_salt),
        **_personal_details(data, now, notice),
    }


def _insert(
    webinar_id: int,
    data: RegistrationInput,
    email_normalised: str,
    status: RegistrationStatus,
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
    status: RegistrationStatus,
    now: datetime,
    notice: str,
) -> bool:
    """Registering again after cancelling: new details and consent; the manage and join
    links stay (cancelling revokes neither). The new invite must outrank the CANCEL they
    got. False if it is no longer cancelled (renewed by another request meanwhile)."""
    values: dict[str, Any] = {
        **_personal_details(data, now, notice),
        "status": status,
        "version": version,
        "ical_sequence_offset": _registrations.c.ical_sequence_offset + 1,
    }
    if existing.join_salt is None:
        join_salt = tokens.new_salt()
        values["join_salt"] = join_salt
        values["join_token_hash"] = tokens.stored_link_hash(tokens.Purpose.JOIN, join_salt)
    renewed = db.session.execute(
        update(_registrations)
        .where(
            _registrations.c.id == existing.id,
            _registrations.c.status == RegistrationStatus.CANCELLED,
        )
        .values(**values)
    )
    if not renewed.rowcount:
        return False
    loaded = db.session.identity_map.get(identity_key(Registration, existing.id))
    if loaded is not None:  # a caller holding the object sees the renewal
        db.session.expire(loaded)
    return True


def _record_marketing(
    registration_id: int,
    webinar: Webinar,
    chosen: frozenset[int],
    now: datetime,
    notice: str,
) -> None:
    """One record per host organisation, yes or no: each is a separate controller. Replaces
    any earlier ones (registering again after cancelling)."""
    db.session.execute(delete(_consents).where(_consents.c.registration_id == registration_id))
    if webinar.hosts:
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
                for host in webinar.hosts
            ],
        )


def _take_place(webinar: Webinar) -> RegistrationStatus:
    if _take_seat(webinar.id) is not None:
        return RegistrationStatus.CONFIRMED
    if webinar.waitlist_enabled:
        return RegistrationStatus.WAITLISTED
    raise RegistrationError(Availability.FULL)


def _already_registered(
    webinar_id: int, registration_id: int, email: str, state: Availability, now: datetime
) -> RegistrationResult:
    """Tell the owner by email (at most once an hour), change nothing; the page says what a
    newcomer would be told (`state`: what the webinar offers now)."""
    outbox.enqueue_by_id(
        EmailKind.ALREADY_REGISTERED,
        recipient=email,
        now=now,
        registration_id=registration_id,
        webinar_id=webinar_id,
    )
    return RegistrationResult(
        "confirmed" if state is Availability.OPEN else "waitlist", registration_id
    )


def _place_label(status: RegistrationStatus) -> str:
    return "confirmed" if status == RegistrationStatus.CONFIRMED else "waitlist"


def cancel(
    registration: Registration, now: datetime, by: str = "registrant", notify: bool = True
) -> bool:
    """Cancel; a freed seat goes to the first person waiting, in this same transaction.

    The manage link keeps working (to register again, or delete the details); only erasing
    the details revokes it.
    """
    if registration.status == RegistrationStatus.CANCELLED:
        return False
    had_seat = registration.status == RegistrationStatus.CONFIRMED
    _set_status(registration, RegistrationStatus.CANCELLED, now)
    if had_seat:
        registration.ical_sequence_offset += 1  # their copy gets METHOD:CANCEL
        _release_seat(registration.webinar_id)
        platform_jobs.cancel_registrant(registration, now)
    if notify:
        _enqueue_status_email(
            registration, EmailKind.REGISTRATION_CANCELLED, now, had_seat=had_seat, by=by
        )
    webhook_events.emit(
        WebhookEventType.REGISTRATION_CANCELLED, registration.webinar_id, now, registration.id
    )
    if had_seat:
        promote_from_waitlist(registration.webinar, now)
    db.session.expire(registration.webinar, ["seats_taken"])
    return True


def change_language(registration: Registration, language: str, now: datetime) -> bool:
    """Their choice on the manage page: every later email, reminder and text to them is in
    `language` (one of LANGUAGES; each is rendered when sent). False if it already was."""
    if language not in LANGUAGES:
        raise ValueError(f"not a language of the site: {language!r}")
    if registration.language == language:
        return False
    registration.language = language
    registration.updated_at = now  # the API's updated_since sees it
    db.session.flush()
    audit.record(
        "registration.language_changed",
        actor=None,
        now=now,
        webinar=registration.webinar,
        registration=registration.id,
        language=language,
        by="registrant",
    )
    return True


def place_goes_to_someone_waiting(registration: Registration) -> bool:
    """Whether cancelling this registration would give its place to someone waiting."""
    if registration.status != RegistrationStatus.CONFIRMED:
        return False
    waiting = select(Registration.id).where(
        Registration.webinar_id == registration.webinar_id,
        Registration.status == RegistrationStatus.WAITLISTED,
    )
    return db.session.scalar(waiting.limit(1)) is not None


def promote_from_waitlist(webinar: Webinar, now: datetime) -> list[Registration]:
    """Fill free seats from the waiting list, first come first served.

    SKIP LOCKED lets two concurrent cancellations promote two different people instead
    of both waiting for (and then both skipping) the same first row.
    """
    promoted: list[Registration] = []
    while _take_seat(webinar.id) is not None:
        nxt = db.session.scalars(
            select(Registration)
            .where(Registration.webinar_id == webinar.id)
            .where(Registration.status == RegistrationStatus.WAITLISTED)
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
    _set_status(registration, RegistrationStatus.CONFIRMED, now)
    _enqueue_status_email(registration, EmailKind.CONFIRMATION, now, promoted=True)
    platform_jobs.add_registrant(registration.webinar, registration.id, registration.version, now)
    webhook_events.emit(
        WebhookEventType.REGISTRATION_PROMOTED, registration.webinar_id, now, registration.id
    )


def confirm_waitlisted(registration: Registration, now: datetime) -> bool:
    """Give this waiting person a seat if one is free (an organiser's choice of who)."""
    waiting = registration.status == RegistrationStatus.WAITLISTED
    if not waiting or _take_seat(registration.webinar_id) is None:
        return False
    _confirm_promoted(registration, now)
    db.session.expire(registration.webinar, ["seats_taken"])
    return True
