"""Text-message reminders: the number people give, their opt-in, planning the texts, STOP.

**When**: one text per opted-in, confirmed registration, `BEFORE` (1 hour) before the start,
computed from the UTC start. One hour, whatever the webinar's email reminder offsets, because
the text says "starts today at 6:30pm": it is the nudge to get ready, and most of all for
people who will join by phone. Someone who registers within that hour is texted at the next
worker pass. The worker's sweep (texts/worker.py) plans each pass, idempotently: one
INSERT … SELECT per webinar starting within the hour, for each opted-in, confirmed, not
erased, not stopped registration that has no text for this due time yet; the unique dedupe
key ("text:reminder:reg<id>:<due time>") settles two workers planning at once. A moved
webinar has a new due time, so its texts follow it; one queued for the old time is skipped
when its turn comes (texts/worker.py checks every reason again at send time: confirmed, not
erased, opted in and not stopped, the webinar published, not started, still this due time).

**Who**: the opt-in is written by registration.register() inside its savepoint
(`record_opt_in`, Core statements), so an address already registered does the same work;
registering again after cancelling replaces the old opt-in. STOP (texts/inbound.py, or
Twilio's error 21610) stops every opt-in with that number and skips their queued texts;
START or UNSTOP resumes them. Email "stop reminders" does not stop texts: texts were asked
for separately, and are stopped by replying STOP.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import phonenumbers
from sqlalchemy import String, and_, bindparam, cast, delete, exists, func, insert, literal, select
from sqlalchemy import update as sql_update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from eventsapp.extensions import db
from eventsapp.models import (
    Registration,
    RegistrationStatus,
    TextKind,
    TextMessage,
    TextReminderOptIn,
    TextStatus,
    Webinar,
    WebinarStatus,
)

BEFORE = timedelta(hours=1)

# --- the number ---------------------------------------------------------------------------


class Refused(StrEnum):
    """Why a number cannot be texted: each has its own message on the form."""

    UNREADABLE = "unreadable"
    NOT_UK = "not_uk"
    NOT_MOBILE = "not_mobile"


class NotAMobile(ValueError):
    def __init__(self, reason: Refused) -> None:
        super().__init__(reason.value)
        self.reason = reason


# Digits and the punctuation people write numbers with; letters ("07400 CALLME") are refused
# rather than read as a keypad's vanity number.
_WRITTEN = re.compile(r"^[0-9 +()\-.]+$")


def uk_mobile(raw: str) -> str:
    """The number in E.164 ("+447400123456") if it is a valid UK mobile number, else
    NotAMobile. UK means +44: the Channel Islands' and Isle of Man's mobiles, on the UK's
    numbering plan, are accepted too."""
    text = raw.strip()
    if not text or not _WRITTEN.match(text):
        raise NotAMobile(Refused.UNREADABLE)
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException as exc:
        raise NotAMobile(Refused.UNREADABLE) from exc
    if number.country_code != 44:
        raise NotAMobile(Refused.NOT_UK)
    if not phonenumbers.is_valid_number(number):
        raise NotAMobile(Refused.UNREADABLE)
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise NotAMobile(Refused.NOT_MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def e164(raw: str) -> str | None:
    """Any number (as a provider sends one, "+447…") in E.164, or None."""
    try:
        number = phonenumbers.parse(raw.strip(), "GB")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- the opt-in, written by registration.register() ---------------------------------------

_opt_ins = TextReminderOptIn.__table__
_DELETE_OPT_IN = delete(_opt_ins).where(_opt_ins.c.registration_id == bindparam("registration_id"))
_INSERT_OPT_IN = insert(_opt_ins)


def record_opt_in(registration_id: int, phone: str | None, now: datetime) -> None:
    """Replace the registration's opt-in (none if `phone` is None). Two Core statements
    whatever the case, so a known address and a new one do the same work."""
    db.session.execute(_DELETE_OPT_IN, {"registration_id": registration_id})
    if phone:
        db.session.execute(
            _INSERT_OPT_IN,
            {"registration_id": registration_id, "phone": phone, "created_at": now},
        )


# --- planning -----------------------------------------------------------------------------


def due_time(webinar: Webinar) -> datetime:
    return webinar.starts_at - BEFORE


def dedupe_prefix(registration_id: int | None = None) -> str:
    return "text:reminder:reg" + ("" if registration_id is None else str(registration_id))


def _stamp(due_at: datetime) -> str:
    return due_at.strftime(":%Y%m%dT%H%M%SZ")


def _texts_insert():  # type: ignore[no-untyped-def]
    table = TextMessage.__table__
    dialect_insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    return dialect_insert(table), table


def plan(now: datetime) -> int:
    """Queue the text reminders that have fallen due. Returns how many. The caller commits."""
    webinars = db.session.execute(
        select(Webinar.id, Webinar.starts_at).where(
            Webinar.status == WebinarStatus.PUBLISHED,
            Webinar.starts_at > now,
            Webinar.starts_at <= now + BEFORE,
        )
    ).all()
    queued = 0
    texts = TextMessage.__table__
    registrations = Registration.__table__
    for webinar_id, starts_at in webinars:
        due_at = starts_at - BEFORE
        key = literal(dedupe_prefix()) + cast(registrations.c.id, String) + literal(_stamp(due_at))
        already = exists().where(texts.c.dedupe_key == key)
        rows = (
            select(
                key.label("dedupe_key"),
                registrations.c.id.label("registration_id"),
                literal(webinar_id).label("webinar_id"),
                literal(TextKind.REMINDER.value).label("kind"),
                literal(TextStatus.QUEUED.value).label("status"),
                literal(0).label("attempts"),
                literal(due_at, texts.c.due_at.type).label("due_at"),
                literal(now, texts.c.created_at.type).label("created_at"),
            )
            .select_from(
                registrations.join(_opt_ins, _opt_ins.c.registration_id == registrations.c.id)
            )
            .where(
                registrations.c.webinar_id == webinar_id,
                registrations.c.status == RegistrationStatus.CONFIRMED,
                registrations.c.erased_at.is_(None),
                _opt_ins.c.stopped_at.is_(None),
                ~already,
            )
        )
        statement, table = _texts_insert()
        columns = [
            "dedupe_key",
            "registration_id",
            "webinar_id",
            "kind",
            "status",
            "attempts",
            "due_at",
            "created_at",
        ]
        inserted = db.session.execute(
            statement.from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            .returning(table.c.id)
        ).all()
        queued += len(inserted)
    return queued


def still_due(text: TextMessage, webinar: Webinar | None, now: datetime) -> bool:
    """A queued reminder goes only for the webinar's current time, and never once it began.
    (Its key names the time it was planned for: `due_at` moves on with retries.)"""
    if webinar is None or webinar.status != WebinarStatus.PUBLISHED:
        return False
    return now < webinar.starts_at and text.dedupe_key.endswith(_stamp(due_time(webinar)))


# --- STOP and START -----------------------------------------------------------------------


def stop(phone: str, now: datetime) -> int:
    """No more texts to this number: every opt-in with it is stopped and its queued texts
    are skipped. Returns the opt-ins stopped. The caller commits."""
    stopped = db.session.execute(
        sql_update(_opt_ins)
        .where(_opt_ins.c.phone == phone, _opt_ins.c.stopped_at.is_(None))
        .values(stopped_at=now)
    ).rowcount
    texts = TextMessage.__table__
    db.session.execute(
        sql_update(texts)
        .where(
            texts.c.status == TextStatus.QUEUED,
            texts.c.registration_id.in_(
                select(_opt_ins.c.registration_id).where(_opt_ins.c.phone == phone)
            ),
        )
        .values(status=TextStatus.SKIPPED, last_error="Stopped by the recipient")
    )
    return stopped


def resume(phone: str) -> int:
    """START or UNSTOP: their opt-ins count again (texts skipped meanwhile stay skipped)."""
    return db.session.execute(
        sql_update(_opt_ins)
        .where(_opt_ins.c.phone == phone, _opt_ins.c.stopped_at.is_not(None))
        .values(stopped_at=None)
    ).rowcount


# --- for organisers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    asked: int = 0  # people with a place (or waiting) who asked for a text and did not stop
    stopped: int = 0
    sent: int = 0
    failed: int = 0
    waiting: int = 0


def counts(webinar_id: int) -> Counts:
    people = db.session.execute(
        select(
            func.count().filter(_opt_ins.c.stopped_at.is_(None)),
            func.count().filter(_opt_ins.c.stopped_at.is_not(None)),
        )
        .select_from(Registration)
        .join(_opt_ins, _opt_ins.c.registration_id == Registration.id)
        .where(
            Registration.webinar_id == webinar_id,
            Registration.status != RegistrationStatus.CANCELLED,
            Registration.erased_at.is_(None),
        )
    ).one()
    by_status = dict(
        db.session.execute(
            select(TextMessage.status, func.count())
            .where(TextMessage.webinar_id == webinar_id)
            .group_by(TextMessage.status)
        ).all()
    )
    return Counts(
        asked=people[0] or 0,
        stopped=people[1] or 0,
        sent=by_status.get(TextStatus.SENT, 0),
        failed=by_status.get(TextStatus.FAILED, 0),
        waiting=by_status.get(TextStatus.QUEUED, 0) + by_status.get(TextStatus.SENDING, 0),
    )


def wants_text(registration_ids: list[int]) -> set[int]:
    """Which of these registrations asked for a text reminder (and did not stop)."""
    if not registration_ids:
        return set()
    return set(
        db.session.scalars(
            select(_opt_ins.c.registration_id).where(
                and_(
                    _opt_ins.c.registration_id.in_(registration_ids),
                    _opt_ins.c.stopped_at.is_(None),
                )
            )
        )
    )
