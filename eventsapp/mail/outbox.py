"""The kinds of email, each with its rules, and queueing them in the caller's transaction.

The one place that builds outbox rows, their dedupe keys and Message-IDs. Only inserts
rows; never talks SMTP (the worker renders and sends them, mail/worker.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from enum import StrEnum
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, String, cast, func, insert, literal, select

from eventsapp.extensions import db
from eventsapp.models import (
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    User,
    Webinar,
)
from eventsapp.models.inserts import insert_unless_exists


@dataclass(frozen=True)
class Rules:
    """What holds for every email of a kind."""

    # The dedupe key (str.format fields: registration_id, version, sequence, now, user_id,
    # offset, due): one email per what it names, so queueing it again does nothing.
    key: str
    # Registration statuses for which it still makes sense at send time (none: not about one).
    statuses: frozenset[RegistrationStatus] = frozenset()
    # The calendar METHOD it carries to someone who holds (or held) a place.
    invite: str | None = None
    # One-click List-Unsubscribe (RFC 8058): stops this webinar's reminders and follow-ups.
    unsubscribable: bool = False
    # Sent only for the webinar's current schedule and never after its start (reminders).
    follows_schedule: bool = False
    # Carries the certificate link (to those a certificate is due to).
    certificate: bool = False
    # Sent only to those who attended (True), or did not (False), as it stands at send time.
    attended: bool | None = None
    # To an organiser account (context: user_id) about one of its organisation's webinars.
    organiser_notice: bool = False


_CONFIRMED = frozenset({RegistrationStatus.CONFIRMED})
_WAITLISTED = frozenset({RegistrationStatus.WAITLISTED})
_REGISTERED = _CONFIRMED | _WAITLISTED


class EmailKind(StrEnum):
    """Every kind of email and its rules. A StrEnum: stored rows and plain strings still match."""

    rules: Rules

    def __new__(cls, value: str, rules: Rules) -> EmailKind:
        kind = str.__new__(cls, value)
        kind._value_ = value
        kind.rules = rules
        return kind

    CONFIRMATION = (
        "confirmation",
        Rules("confirmation:reg{registration_id}:v{version}", _CONFIRMED, "REQUEST"),
    )
    WAITLISTED = "waitlisted", Rules("waitlisted:reg{registration_id}:v{version}", _WAITLISTED)
    ALREADY_REGISTERED = (
        "already_registered",
        Rules("already_registered:reg{registration_id}:{now:%Y%m%d%H}", _REGISTERED, "REQUEST"),
    )
    REGISTRATION_CANCELLED = (
        "registration_cancelled",
        Rules(
            "registration_cancelled:reg{registration_id}:v{version}",
            frozenset({RegistrationStatus.CANCELLED}),
            "CANCEL",
        ),
    )
    WEBINAR_UPDATED = (
        "webinar_updated",
        Rules("webinar_updated:reg{registration_id}:seq{sequence}", _CONFIRMED, "REQUEST"),
    )
    WEBINAR_CANCELLED = (
        "webinar_cancelled",
        Rules("webinar_cancelled:reg{registration_id}:seq{sequence}", _REGISTERED, "CANCEL"),
    )
    REMINDER = (
        "reminder",
        Rules(
            "reminder:reg{registration_id}:{offset}:{due:%Y%m%dT%H%MZ}",
            _CONFIRMED,
            "REQUEST",
            unsubscribable=True,
            follows_schedule=True,
        ),
    )
    # Each once per person (services/follow_ups.py decides who gets which).
    FOLLOW_UP_ATTENDED = (
        "follow_up_attended",
        Rules(
            "follow_up_attended:reg{registration_id}",
            _CONFIRMED,
            unsubscribable=True,
            certificate=True,
            attended=True,
        ),
    )
    FOLLOW_UP_MISSED = (
        "follow_up_missed",
        Rules(
            "follow_up_missed:reg{registration_id}", _CONFIRMED, unsubscribable=True, attended=False
        ),
    )
    # Organisers' own message to some registrants (services/announcements.py): once each.
    ANNOUNCEMENT = (
        "announcement",
        Rules("announcement{announcement}:reg{registration_id}", _REGISTERED, unsubscribable=True),
    )
    PASSWORD_RESET = "password_reset", Rules("password_reset:user{user_id}:{now:%Y%m%dT%H%M%S.%f}")
    # Partners hear when they are made co-hosts, or when a co-host stops co-hosting.
    COHOST_ADDED = (
        "cohost_added",
        Rules("cohost_added:user{user_id}:{now:%Y%m%dT%H%M%S.%f}", organiser_notice=True),
    )
    COHOST_LEFT = (
        "cohost_left",
        Rules("cohost_left:user{user_id}:{now:%Y%m%dT%H%M%S.%f}", organiser_notice=True),
    )
    # A live webinar changed after its approval: its reviewers hear, once per approval lost.
    REVIEW_NEEDED = (
        "review_needed",
        Rules(
            "review_needed:user{user_id}:webinar{about}:{approved:%Y%m%dT%H%M%S.%f}",
            organiser_notice=True,
        ),
    )
    # ... or when a partner cancels a webinar they host together.
    COHOST_CANCELLED = (
        "cohost_cancelled",
        Rules("cohost_cancelled:user{user_id}:{now:%Y%m%dT%H%M%S.%f}", organiser_notice=True),
    )
    # Book live captions or a BSL interpreter: to the hosts' organisers, the webinar's
    # needs_booking_days before it, once per set of needs asked for
    # (services/communication_needs.py). Counts only, never who asked.
    NEEDS_BOOKING = (
        "needs_booking",
        Rules("needs_booking:user{user_id}:webinar{about}:{needs}", organiser_notice=True),
    )

    # To an organisation's organisers (no webinar): an endpoint of theirs was paused.
    WEBHOOK_PAUSED = (
        "webhook_paused",
        Rules("webhook_paused:user{user_id}:{now:%Y%m%dT%H%M%S.%f}", organiser_notice=True),
    )

    def dedupe_key(self, **fields: Any) -> str:
        return self.rules.key.format(**fields)


def sender_domain() -> str:
    address = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    return address.rpartition("@")[2] or "localhost"


def new_message_id() -> str:
    """Fixed when the email is queued, so a retried send carries the same Message-ID."""
    return f"<{secrets.token_hex(16)}@{sender_domain()}>"


def enqueue(
    kind: EmailKind,
    *,
    recipient: str,
    now: datetime,
    registration: Registration | None = None,
    webinar: Webinar | None = None,
    context: dict[str, Any] | None = None,
    due_at: datetime | None = None,
    **key: Any,
) -> bool:
    """Queue one email; False if one with its dedupe key exists already.

    The key is the kind's, filled from the registration (id, version), `now` and `key`.
    """
    return enqueue_by_id(
        kind,
        recipient=recipient,
        now=now,
        registration_id=registration.id if registration else None,
        webinar_id=webinar.id if webinar else (registration.webinar_id if registration else None),
        context=context,
        due_at=due_at,
        **({"version": registration.version} if registration else {}),
        **key,
    )


def enqueue_by_id(
    kind: EmailKind,
    *,
    recipient: str,
    now: datetime,
    registration_id: int | None,
    webinar_id: int | None,
    context: dict[str, Any] | None = None,
    due_at: datetime | None = None,
    **key: Any,
) -> bool:
    """enqueue() for callers that hold ids, not loaded objects.

    ON CONFLICT DO NOTHING rather than a savepoint: a duplicate is an expected outcome
    (an organiser saving twice, a planning sweep running again), not an error.
    """
    values = _row(
        kind,
        dedupe_key=kind.dedupe_key(registration_id=registration_id, now=now, **key),
        recipient=recipient,
        registration_id=registration_id,
        webinar_id=webinar_id,
        context=context,
        now=now,
        due_at=due_at,
        message_id=new_message_id(),
    )
    inserted = db.session.execute(
        insert_unless_exists(OutboxMessage.__table__, "dedupe_key"), values
    ).first()
    return inserted is not None


_ID_SLOT = "\x00"


def enqueue_each(
    kind: EmailKind,
    *where: ColumnElement[bool],
    webinar_id: int,
    now: datetime,
    context: dict[str, Any],
    **key: Any,
) -> int:
    """One email to each registration `where` selects, in one INSERT … SELECT (the rows
    never pass through Python). Returns how many. The keys must be new (the caller makes
    sure, as the reminders' plan row does).
    """
    registrations = Registration.__table__
    reg_id = cast(registrations.c.id, String)
    head, tail = kind.dedupe_key(registration_id=_ID_SLOT, now=now, **key).split(_ID_SLOT)
    nonce = secrets.token_hex(6)
    values = _row(
        kind,
        dedupe_key=literal(head) + reg_id + literal(tail),
        recipient=registrations.c.email,
        registration_id=registrations.c.id,
        webinar_id=webinar_id,
        context=context,
        now=now,
        message_id=literal(f"<{kind}.{nonce}.") + reg_id + literal(f"@{sender_domain()}>"),
    )
    table = OutboxMessage.__table__
    rows = select(
        *(
            (v if isinstance(v, ColumnElement) else literal(v, table.c[k].type)).label(k)
            for k, v in values.items()
        )
    ).where(*where)
    # psycopg reports rowcount -1 for INSERT … SELECT: counted apart.
    db.session.execute(insert(table).from_select(list(values), rows))
    return db.session.scalar(select(func.count()).select_from(rows.subquery())) or 0


def _row(
    kind: EmailKind,
    *,
    dedupe_key: Any,
    recipient: Any,
    registration_id: Any,
    webinar_id: int | None,
    context: dict[str, Any] | None,
    now: datetime,
    message_id: Any,
    due_at: datetime | None = None,
) -> dict[str, Any]:
    """An outbox row as it is queued (values, or SQL expressions for INSERT … SELECT)."""
    return {
        "dedupe_key": dedupe_key,
        "kind": kind.value,
        "recipient": recipient,
        "registration_id": registration_id,
        "webinar_id": webinar_id,
        "context": context or {},
        "status": OutboxStatus.QUEUED,
        "attempts": 0,
        "due_at": due_at or now,
        "message_id": message_id,
        "created_at": now,
    }


def notify_organisers(
    kind: EmailKind,
    organisation_ids: list[int],
    webinar: Webinar | None,
    now: datetime,
    key: dict[str, Any] | None = None,
    reviewers_only: bool = False,
    but: User | None = None,
    **context: Any,
) -> int:
    """One email to each active organiser (or reviewer) of these organisations (about
    `webinar`, if any), `but` the one who acted. `key`: fields the kind's dedupe key names
    besides user_id and now."""
    query = select(User).where(User.organisation_id.in_(organisation_ids), User.active.is_(True))
    if reviewers_only:
        query = query.where(User.is_reviewer.is_(True))
    if but is not None:
        query = query.where(User.id != but.id)
    users = db.session.scalars(query)
    sent = 0
    for user in users:
        sent += enqueue(
            kind,
            recipient=user.email,
            now=now,
            webinar=webinar,
            context={"user_id": user.id, **context},
            user_id=user.id,
            **(key or {}),
        )
    return sent
