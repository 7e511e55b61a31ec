"""UK GDPR in practice: erasing a registrant's details, the retention sweep, subject access.

What is personal is marked where each column is declared (models/personal.py). Erasing keeps
the registration row (so counts for reports stay right), writes each marked column's erased
value in it and in every row about it, revokes its personal links and skips its queued
emails. The export shows every marked column, with what makes it readable.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, delete, select, update
from sqlalchemy.orm import joinedload

from eventsapp.extensions import db
from eventsapp.models import (
    Attendance,
    AttendanceImport,
    AuditEvent,
    Certificate,
    FeedbackResponse,
    FormAnswer,
    MarketingConsent,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    User,
    Webinar,
    attended,
)
from eventsapp.models.personal import DELETE_ROW, ListOfPeople, PersonalColumn, personal_columns
from eventsapp.services import audit
from eventsapp.services import registration as registrations

_REGISTRATIONS: Table = Registration.__table__
_WEBINAR_ID = Webinar.__table__.c.id


def _whose(table: Table) -> Column[Any]:
    """The column saying which registration a row is about; for a table whose rows hold
    several people of one webinar (a report's unmatched rows), which webinar."""
    if table is _REGISTRATIONS:
        return table.c.id
    for target in (_REGISTRATIONS.c.id, _WEBINAR_ID):
        for fk in table.foreign_keys:
            if fk.column is target:
                return fk.parent
    raise LookupError(f"{table.name} holds personal data, but no column says whose")


def _shared(table: Table, marked: tuple[PersonalColumn, ...]) -> list[PersonalColumn]:
    """A webinar's table holding several people's data: its lists, each entry someone's."""
    if not _whose(table).references(_WEBINAR_ID):
        return []
    if not marked or not all(isinstance(m.erased, ListOfPeople) for m in marked):
        # Erasing or exporting by webinar would reach everyone's: each entry must say whose.
        raise LookupError(f"{table.name}: a webinar's personal data must be a ListOfPeople")
    return list(marked)


def erase(registration: Registration, now: datetime) -> None:
    """Remove the person's details from this registration (idempotent)."""
    if registration.erased_at is None:
        _erase([registration.id], now)
        db.session.expire(registration)


def _erase(ids: list[int], now: datetime) -> None:
    """Erase many registrations in a fixed number of statements, however many they are
    (and one per webinar's list that held some of them)."""
    if not ids:
        return
    _tally_audiences(ids)
    # Read before the addresses are overwritten: entries in webinars' lists are found by them.
    people = {
        (row.webinar_id, row.email_normalised)
        for row in db.session.execute(
            select(Registration.webinar_id, Registration.email_normalised).where(
                Registration.id.in_(ids)
            )
        )
    }
    for table, marked in personal_columns().items():
        whose = _whose(table)
        if lists := _shared(table, marked):
            _drop_entries(table, lists, people)
        elif any(m.erased is DELETE_ROW for m in marked):
            db.session.execute(delete(table).where(whose.in_(ids)))
        elif table is _REGISTRATIONS:
            db.session.execute(
                update(table)
                .where(whose.in_(ids), table.c.erased_at.is_(None))
                .values(
                    {m.column: m.erased_value() for m in marked}
                    # Every personal link stops working, even one issued before a cancel.
                    | {table.c.manage_token_hash: None, table.c.join_token_hash: None}
                    | {table.c.erased_at: now}
                )
            )
        else:
            db.session.execute(
                update(table)
                .where(whose.in_(ids))
                .values({m.column: m.erased_value() for m in marked})
            )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.registration_id.in_(ids), OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.SKIPPED)
    )


def _tally_audiences(ids: list[int]) -> None:
    """Before the audience goes: add each person to their webinar's anonymous counts of
    confirmed and attended by audience, so the figures by audience stay as they were."""
    counts: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    webinars: dict[int, Webinar] = {}
    for registration, record in db.session.execute(
        select(Registration, Attendance)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.id.in_(ids), Registration.erased_at.is_(None))
    ):
        if registration.status != RegistrationStatus.CONFIRMED:
            continue
        webinar = webinars.setdefault(registration.webinar_id, registration.webinar)
        tally = counts[webinar.id][registration.audience or ""]
        tally[0] += 1
        tally[1] += attended(record, webinar)
    for webinar_id, by_audience in counts.items():
        webinar = webinars[webinar_id]
        merged = {key: list(value) for key, value in (webinar.erased_audiences or {}).items()}
        for key, (confirmed, came) in by_audience.items():
            before = merged.get(key, [0, 0])
            merged[key] = [before[0] + confirmed, before[1] + came]
        webinar.erased_audiences = merged
    db.session.flush()


def _drop_entries(table: Table, lists: list[PersonalColumn], people: set[tuple[int, str]]) -> None:
    """Remove these people's entries from their webinars' lists; everyone else's stay."""
    whose = _whose(table)
    rows = db.session.execute(
        select(table.c.id, whose.label("webinar_id"), *(m.column for m in lists)).where(
            whose.in_(sorted({webinar_id for webinar_id, _ in people}))
        )
    ).all()
    for row in rows:
        entries = {m: row._mapping[m.column] for m in lists}
        kept = {
            m: [e for e in entries[m] if (row.webinar_id, m.erased.whose(e)) not in people]
            for m in lists
        }
        if kept != entries:
            db.session.execute(
                update(table).where(table.c.id == row.id).values({m.column: kept[m] for m in lists})
            )


def _give_up_place(registration: Registration, now: datetime) -> None:
    """A place in a webinar still to come is given up (quietly) for someone else. A past
    webinar's record stays as it was, anonymous: its figures must not change."""
    if registration.status != RegistrationStatus.CANCELLED and now < registration.webinar.ends_at:
        registrations.cancel(registration, now, notify=False)


def erase_on_request(registration: Registration, now: datetime) -> None:
    """The registrant's own request: give up any place quietly, then erase."""
    webinar = registration.webinar
    _give_up_place(registration, now)
    erase(registration, now)
    audit.record(
        "registration.erased",
        actor=None,
        now=now,
        webinar=webinar,
        registration=registration.id,
        by="registrant",
    )


def apply_retention(now: datetime, days: int, actor: User | None = None) -> int:
    """Erase registrations of webinars that ended more than `days` ago. Returns how many."""
    cutoff = now - timedelta(days=days)
    # starts_at bounds the scan; the end (start + duration) is exact, so it is checked here.
    rows = db.session.execute(
        select(Registration.id, Webinar.starts_at, Webinar.duration_minutes)
        .join(Webinar, Webinar.id == Registration.webinar_id)
        .where(Registration.erased_at.is_(None), Webinar.starts_at < cutoff)
    ).all()
    ids = [r.id for r in rows if r.starts_at + timedelta(minutes=r.duration_minutes) < cutoff]
    _erase(ids, now)
    erased = len(ids)
    if erased:
        audit.record("retention.applied", actor=actor, now=now, registrations=erased, days=days)
    return erased


def find_by_email(email: str) -> list[Registration]:
    """Every registration held for an address (subject access), newest first."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.email_normalised == email.strip().lower())
            .order_by(Registration.created_at.desc())
            .options(joinedload(Registration.webinar))
        )
    )


# Each kind of record about a registration in the export: its name there, and what is shown
# beside its marked columns to make it readable. A table with marked columns is exported even
# if not listed (under its own name); one listed without marks is exported too, so another
# kind of record (attendance, say) is one more line here.
_READABLE: dict[str, tuple[str, tuple[ColumnElement[Any], ...]]] = {
    "marketing_consents": (
        "marketing",
        (
            select(Organisation.name)
            .where(Organisation.id == MarketingConsent.organisation_id)
            .scalar_subquery()
            .label("organisation"),
            MarketingConsent.recorded_at,
        ),
    ),
    "feedback_responses": (
        "feedback",
        (FeedbackResponse.overall, FeedbackResponse.usefulness, FeedbackResponse.would_recommend),
    ),
    "certificates": ("certificates", (Certificate.issued_at,)),
    "outbox": ("emails", (OutboxMessage.kind, OutboxMessage.status, OutboxMessage.sent_at)),
    "attendance_imports": (
        "attendance_reports",
        (AttendanceImport.source, AttendanceImport.imported_at),
    ),
    "form_answers": ("answers", (FormAnswer.asked,)),
    "attendance": (
        "attendance",
        (Attendance.source, Attendance.minutes, Attendance.updated_at),
    ),
}


def export(registrations_: list[Registration]) -> dict[str, object]:
    """What we hold, as JSON-ready data for a subject access request: every marked column of
    each registration and of every row about it. One query per table, not per registration."""
    marked = personal_columns()
    sections = {
        _READABLE.get(table.name, (table.name, ()))[0]: _held_in(
            table, marked.get(table, ()), registrations_
        )
        for table in db.metadata.sorted_tables
        if table is not _REGISTRATIONS and (table in marked or table.name in _READABLE)
    }
    audit_trail = _audit_entries(registrations_)
    items = []
    for reg in registrations_:
        webinar = reg.webinar
        items.append(
            {
                "webinar": webinar.title,
                "webinar_starts_at": webinar.starts_at.isoformat(),
                "status": reg.status,
                "registered_at": reg.created_at.isoformat(),
                **{
                    m.exported_as: _plain(getattr(reg, m.column.key))
                    for m in marked[_REGISTRATIONS]
                },
                "consent": {
                    "given_at": reg.consent_given_at.isoformat(),
                    "privacy_notice_version": reg.consent_notice_version,
                },
                "joined_link_clicks": reg.join_clicks,
                "joined_first_at": _plain(reg.joined_first_at),
                "joined_last_at": _plain(reg.joined_last_at),
                "stopped_reminders": reg.reminders_opt_out,
                **{name: held[reg.id] for name, held in sections.items()},
                "audit": audit_trail.get(reg.id, []),
            }
        )
    return {"registrations": items}


def _held_in(
    table: Table, marked: tuple[PersonalColumn, ...], regs: list[Registration]
) -> dict[int, list[dict[str, object]]]:
    """The rows of `table` about each registration: marked columns, then readable ones."""
    whose = _whose(table)
    lists = _shared(table, marked)
    shown = [
        *(m.column.label(m.exported_as) for m in marked),
        *_READABLE.get(table.name, ("", ()))[1],
    ]
    keys = sorted({reg.webinar_id for reg in regs} if lists else {reg.id for reg in regs})
    rows = db.session.execute(
        select(whose.label("whose"), *shown)
        .where(whose.in_(keys))
        .order_by(*table.primary_key.columns)
    ).all()
    held: dict[int, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        record = {key: _plain(value) for key, value in row._mapping.items() if key != "whose"}
        if not lists:
            held[row.whose].append(record)
            continue
        # A webinar's list: each registrant sees only the entries carrying their address.
        for reg in regs:
            if reg.webinar_id != row.whose:
                continue
            theirs = {
                m.exported_as: m.erased.of(record[m.exported_as], reg.email_normalised)
                for m in lists
            }
            if any(theirs.values()):
                held[reg.id].append(record | theirs)
    return held


def _audit_entries(regs: list[Registration]) -> dict[int, list[dict[str, object]]]:
    """What organisers and the system did about each registration (the audit log names
    registrations by id in its details), oldest first."""
    ids = {reg.id for reg in regs}
    found: dict[int, list[dict[str, object]]] = defaultdict(list)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.webinar_id.in_({reg.webinar_id for reg in regs}))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    for event in events:
        whose = (event.details or {}).get("registration")
        if whose in ids:
            found[whose].append({"action": event.action, "at": _plain(event.at)})
    return found


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value


def erase_all(email: str, actor: User, now: datetime) -> int:
    """An erasure request by email: every registration, places given up without email."""
    found = find_by_email(email)
    for registration in found:
        _give_up_place(registration, now)
    _erase([registration.id for registration in found if registration.erased_at is None], now)
    db.session.expire_all()
    audit.record("subject.erased", actor=actor, now=now, registrations=len(found))
    return len(found)
