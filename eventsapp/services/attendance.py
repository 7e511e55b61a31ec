"""Recording attendance: check-in by hand, and platform reports matched to registrants."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import (
    Attendance,
    AttendanceImport,
    AttendanceSource,
    Registration,
    RegistrationStatus,
    User,
    WebhookEventType,
    Webinar,
)
from eventsapp.models.attendance import attended
from eventsapp.services import access, attendance_reports, audit, webhook_events
from eventsapp.services.errors import DomainError
from eventsapp.services.registrants import name_or_email_contains, registration_in
from eventsapp.services.spreadsheets import csv_text


class AttendanceError(DomainError):
    pass


@dataclass(frozen=True)
class CheckInRow:
    registration: Registration
    record: Attendance | None
    attended: bool


def check_in_list(webinar: Webinar, search: str = "") -> list[CheckInRow]:
    query = (
        select(Registration, Attendance)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Registration.webinar_id == webinar.id)
        .where(Registration.status == RegistrationStatus.CONFIRMED)
        .order_by(func.lower(Registration.full_name), Registration.id)
    )
    if search.strip():
        query = query.where(name_or_email_contains(search))
    return [CheckInRow(reg, rec, attended(rec, webinar)) for reg, rec in db.session.execute(query)]


def _record(registration: Registration) -> Attendance | None:
    return db.session.scalars(
        select(Attendance).where(Attendance.registration_id == registration.id)
    ).one_or_none()


def check_in(
    webinar: Webinar,
    registration_id: int,
    actor: User,
    now: datetime,
    minutes: int | None = None,
) -> None:
    """Mark someone as attending by hand, for `minutes` (None: the whole session), which then
    counts for their certificate as a report's minutes would."""
    _require_begun(webinar, now)
    registration = registration_in(webinar, registration_id)
    if minutes is not None and not 1 <= minutes <= webinar.duration_minutes:
        raise AttendanceError(
            f"Enter the minutes they attended, from 1 to {webinar.duration_minutes}", "minutes"
        )
    minutes = webinar.duration_minutes if minutes is None else minutes
    record = _record(registration)
    if record is None:
        db.session.add(
            Attendance(
                registration=registration,
                source=AttendanceSource.MANUAL,
                minutes=minutes,
                updated_at=now,
            )
        )
    elif record.source != AttendanceSource.MANUAL:
        raise AttendanceError("Their attendance already comes from the platform's report")
    else:
        record.minutes, record.updated_at = minutes, now
    webhook_events.emit(WebhookEventType.ATTENDANCE_RECORDED, webinar.id, now, registration.id)
    audit.record(
        "attendance.checked_in",
        actor=actor,
        now=now,
        webinar=webinar,
        registration=registration.id,
        minutes=minutes,
    )


def _require_begun(webinar: Webinar, now: datetime) -> None:
    """Attendance counts towards certificates: none before anyone could have joined."""
    if now < webinar.doors_open_at:
        raise AttendanceError("You can record attendance once the webinar has begun")


def undo_check_in(webinar: Webinar, registration_id: int, actor: User, now: datetime) -> None:
    registration = registration_in(webinar, registration_id)
    record = _record(registration)
    if record is None or record.source != AttendanceSource.MANUAL:
        raise AttendanceError("There is no check-in by hand to undo")
    db.session.delete(record)
    webhook_events.emit(WebhookEventType.ATTENDANCE_RECORDED, webinar.id, now, registration.id)
    audit.record(
        "attendance.check_in_undone",
        actor=actor,
        now=now,
        webinar=webinar,
        registration=registration.id,
    )


def _set_minutes(registration: Registration, minutes: int, source: str, now: datetime) -> None:
    """A report's minutes replace an earlier report's for that person (never add up)."""
    record = _record(registration)
    if record is None:
        db.session.add(
            Attendance(registration=registration, minutes=minutes, source=source, updated_at=now)
        )
    else:
        record.minutes, record.source, record.updated_at = minutes, source, now
    webhook_events.emit(
        WebhookEventType.ATTENDANCE_RECORDED, registration.webinar_id, now, registration.id
    )


def import_report(
    webinar: Webinar, data: bytes, actor: User, now: datetime
) -> tuple[AttendanceImport, bool]:
    """Read a report file, then record it (record_report). A malformed file raises before
    anything is written."""
    _require_begun(webinar, now)
    try:
        source, rows = attendance_reports.parse(data)
    except attendance_reports.ReportError as exc:
        raise AttendanceError(str(exc), "report") from exc
    return record_report(webinar, source, rows, actor, now)


def record_report(
    webinar: Webinar,
    source: AttendanceSource,
    rows: list[attendance_reports.ReportRow],
    actor: User | None,
    now: datetime,
) -> tuple[AttendanceImport, bool]:
    """Match a platform report's rows (by Zoom registrant id or Teams registration id, then
    email, case-insensitive)
    and record their minutes. Returns (import, new?). The CSV upload and the worker's fetch
    from Zoom (actor None) both come here.

    The same report twice is recognised by its hash and changes nothing.
    """
    # The rows, not the file: a report downloaded again (a new "generated" line) is the same.
    digest = hashlib.sha256(
        json.dumps(sorted((r.key, r.name, r.email, r.minutes) for r in rows)).encode()
    ).hexdigest()
    earlier = db.session.scalars(
        select(AttendanceImport).where(
            AttendanceImport.webinar_id == webinar.id, AttendanceImport.sha256 == digest
        )
    ).one_or_none()
    if earlier is not None:
        return earlier, False
    registered = list(
        db.session.scalars(select(Registration).where(Registration.webinar_id == webinar.id))
    )
    by_email = {reg.email_normalised: reg for reg in registered}
    by_registrant = {
        platform_id: reg
        for reg in registered
        for platform_id in (reg.zoom_registrant_id, reg.teams_registration_id)
        if platform_id
    }
    matched, unmatched = 0, []
    for row in rows:
        registration = by_registrant.get(row.registrant_id) if row.registrant_id else None
        if registration is None and row.email:
            registration = by_email.get(row.email)
        if registration is None:
            unmatched.append(
                {"key": row.key, "name": row.name, "email": row.email, "minutes": row.minutes}
            )
            continue
        _set_minutes(registration, row.minutes, source, now)
        matched += 1
    # Each unmatched person is listed once: this report's row replaces an earlier one's.
    keys = {row["key"] for row in unmatched}
    for previous in imports(webinar):
        if any(row["key"] in keys for row in previous.unmatched):
            previous.unmatched = [row for row in previous.unmatched if row["key"] not in keys]
    record = AttendanceImport(
        webinar_id=webinar.id,
        sha256=digest,
        source=source,
        imported_at=now,
        matched=matched,
        unmatched=unmatched,
    )
    db.session.add(record)
    db.session.flush()
    audit.record(
        "attendance.imported",
        actor=actor,
        now=now,
        webinar=webinar,
        source=source,
        matched=matched,
        unmatched=len(unmatched),
    )
    return record, True


def match_by_hand(
    webinar: Webinar, import_id: int, key: str, registration_id: int, actor: User, now: datetime
) -> None:
    """Attach an unmatched report row to a registrant (e.g. they joined from another address)."""
    record = access.row_of(
        webinar,
        AttendanceImport,
        import_id,
        AttendanceError("That report is not one of this webinar's"),
    )
    row = next((r for r in record.unmatched if r["key"] == key), None)
    if row is None:
        raise AttendanceError("That row has already been matched")
    if not registration_id:
        raise AttendanceError(f"Choose the registrant who joined as {row['name']}")
    registration = registration_in(webinar, registration_id)
    _set_minutes(registration, int(row["minutes"]), record.source, now)
    record.unmatched = [r for r in record.unmatched if r["key"] != key]
    audit.record(
        "attendance.matched_by_hand",
        actor=actor,
        now=now,
        webinar=webinar,
        registration=registration.id,
    )


def imports(webinar: Webinar) -> list[AttendanceImport]:
    return list(
        db.session.scalars(
            select(AttendanceImport)
            .where(AttendanceImport.webinar_id == webinar.id)
            .order_by(AttendanceImport.imported_at.desc())
        )
    )


def registrants_for_matching(webinar: Webinar) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.webinar_id == webinar.id)
            .where(Registration.status != RegistrationStatus.CANCELLED)
            .order_by(func.lower(Registration.full_name))
        )
    )


def export_csv(webinar: Webinar) -> str:
    """One row per confirmed registrant: how they joined and whether they attended."""
    return csv_text(
        ["Name", "Email", "Joined via link", "Minutes", "Attended", "Source"],
        (
            [
                row.registration.full_name,
                row.registration.email,
                "yes" if row.registration.join_clicks else "no",
                row.record.minutes if row.record and row.record.minutes is not None else "",
                "yes" if row.attended else "no",
                row.record.source if row.record else "",
            ]
            for row in check_in_list(webinar)
        ),
    )
