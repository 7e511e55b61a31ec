"""The mail worker: claim due outbox rows, render, send, record the outcome.

Claiming leases rows to one worker (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the
BEGIN IMMEDIATE write lock), so several workers share the queue without sending a row
twice while it is leased. A row is marked sent right after the server accepts it; the
remaining window (server accepted, worker died before the commit) is the documented
limit of SMTP. Leases that expire (a killed worker) return their rows to the queue.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from eventsapp import transactions
from eventsapp.extensions import db
from eventsapp.mail.render import render, to_bytes
from eventsapp.mail.transport import (
    FileTransport,
    PermanentError,
    SMTPTransport,
    TransientError,
    Transport,
)
from eventsapp.models import OutboxMessage, OutboxStatus, Registration, Webinar
from eventsapp.services import privacy, reminders
from eventsapp.transactions import Mode
from eventsapp.uktime import utcnow

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


@dataclass
class BatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    reaped: int = 0
    planned: int = 0
    erased: int = 0

    def add(self, other: BatchReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, at most an hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def make_transport() -> Transport:
    cfg = current_app.config
    if not cfg["MAIL_SERVER"]:
        return FileTransport(cfg["MAIL_FILE_DIR"])
    return SMTPTransport(
        cfg["MAIL_SERVER"],
        cfg["MAIL_PORT"],
        timeout=cfg["MAIL_TIMEOUT_SECONDS"],
        use_tls=cfg["MAIL_USE_TLS"],
        username=cfg["MAIL_USERNAME"],
        password=cfg["MAIL_PASSWORD"],
    )


def reap_expired_leases(now: datetime) -> int:
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_expires_at < now)
        .values(status=OutboxStatus.QUEUED, lease_owner=None, lease_expires_at=None)
    )
    db.session.commit()
    return result.rowcount


def claim(now: datetime, owner: str, limit: int, lease_seconds: int) -> list[int]:
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.due_at <= now)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(
                status=OutboxStatus.SENDING,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
            )
        )
    db.session.commit()
    return ids


@dataclass(frozen=True)
class Prepared:
    """An email ready to send."""

    row_id: int
    attempts: int
    recipient: str
    message_id: str
    subject: str
    data: bytes


@dataclass(frozen=True)
class NotSent:
    """A row settled without sending: skipped (error None), or it failed to render."""

    row_id: int
    attempts: int
    error: str | None = None


def render_batch(ids: list[int], owner: str, now: datetime) -> list[Prepared | NotSent]:
    """Render every row of the batch this worker still holds, in one read-only pass.

    Read-only work (no write lock on SQLite), over before any network call. Rows whose
    reason has gone are skipped; a template bug fails only its row.
    """
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    items: list[Prepared | NotSent] = []
    with transactions.begin_mode(Mode.READ):
        rows = db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.lease_owner == owner)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .options(
                joinedload(OutboxMessage.registration)
                .joinedload(Registration.webinar)
                .selectinload(Webinar.hosts)
            )
        ).unique()
        for row in rows:
            try:
                email = render(row, now)
                if email is None:
                    items.append(NotSent(row.id, row.attempts))
                    continue
                data = to_bytes(row, email, sender)
            except Exception as exc:  # a template bug must not stop the batch
                log.exception("outbox row %s (%s): render failed", row.id, row.kind)
                items.append(NotSent(row.id, row.attempts, f"render: {type(exc).__name__}"))
                continue
            items.append(
                Prepared(row.id, row.attempts, row.recipient, row.message_id, email.subject, data)
            )
        db.session.rollback()
    return items


class _Outcomes:
    """Outcomes of sent, skipped and failed rows, written in small groups.

    One executemany per group instead of an UPDATE and a COMMIT per message. A row is
    only updated while this worker still holds its lease. The group size bounds what a
    crash can cause to be sent twice (see the module docstring).
    """

    def __init__(self, owner: str, group: int):
        self.owner, self.group = owner, group
        self.pending: dict[str, list[dict[str, object]]] = {}
        self.count = 0

    def add(self, row_id: int, status: OutboxStatus, **values: object) -> None:
        key = ",".join(sorted(values))
        self.pending.setdefault(f"{status}|{key}", []).append(
            {"b_id": row_id, "b_status": status, **{f"b_{k}": v for k, v in values.items()}}
        )
        self.count += 1
        if self.count >= self.group:
            self.flush()

    def flush(self) -> None:
        if not self.count:
            return
        table = OutboxMessage.__table__
        for key, params in self.pending.items():
            names = [n for n in key.split("|", 1)[1].split(",") if n]
            stmt = (
                update(table)
                .where(
                    table.c.id == bindparam("b_id"),
                    table.c.lease_owner == self.owner,
                    table.c.status == OutboxStatus.SENDING,
                )
                .values(
                    status=bindparam("b_status"),
                    lease_owner=None,
                    lease_expires_at=None,
                    **{n: bindparam(f"b_{n}") for n in names},
                )
            )
            db.session.connection().execute(stmt, params)
        db.session.commit()
        self.pending.clear()
        self.count = 0


def _retry_or_fail(
    outcomes: _Outcomes,
    row_id: int,
    attempts_before: int,
    now: datetime,
    error: str,
    report: BatchReport,
) -> None:
    attempts = attempts_before + 1
    if attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        outcomes.add(row_id, OutboxStatus.FAILED, attempts=attempts, last_error=error)
        report.failed += 1
    else:
        outcomes.add(
            row_id,
            OutboxStatus.QUEUED,
            attempts=attempts,
            last_error=error,
            due_at=now + backoff(attempts),
        )
        report.retried += 1


def apply_retention(now: datetime) -> int:
    """Erase registrants' details once their webinar is past the retention period."""
    erased = privacy.apply_retention(now, current_app.config["RETENTION_DAYS"])
    db.session.commit()
    if erased:
        log.info("retention: erased the details of %d registration(s)", erased)
    return erased


def plan_reminders(now: datetime) -> int:
    """Queue reminders that have fallen due (idempotent; safe with several workers)."""
    report = reminders.plan(now)
    db.session.commit()
    if report.plans:
        log.info("reminders planned: %d schedule(s), %d email(s)", report.plans, report.reminders)
    return report.reminders


def deliver(
    ids: list[int], owner: str, clock: Clock, stop: threading.Event | None = None
) -> BatchReport:
    """Render leased rows, then send them over one connection; one bad address does not
    stop the batch."""
    cfg = current_app.config
    report = BatchReport(claimed=len(ids))
    envelope_from = parseaddr(cfg["MAIL_DEFAULT_SENDER"])[1]
    outcomes = _Outcomes(owner, cfg["OUTBOX_RECORD_EVERY"])
    pending: list[Prepared] = []
    for item in render_batch(ids, owner, clock()):
        if isinstance(item, Prepared):
            pending.append(item)
        elif item.error is None:
            outcomes.add(item.row_id, OutboxStatus.SKIPPED)
            report.skipped += 1
        else:
            outcomes.add(
                item.row_id, OutboxStatus.FAILED, attempts=item.attempts + 1, last_error=item.error
            )
            report.failed += 1
    outcomes.flush()
    try:
        with make_transport() as transport:
            while pending and not (stop and stop.is_set()):
                item = pending.pop(0)
                try:
                    transport.send(envelope_from, item.recipient, item.data, item.message_id)
                except PermanentError as exc:
                    outcomes.add(
                        item.row_id,
                        OutboxStatus.FAILED,
                        attempts=item.attempts + 1,
                        last_error=str(exc),
                    )
                    report.failed += 1
                except TransientError as exc:
                    _retry_or_fail(outcomes, item.row_id, item.attempts, clock(), str(exc), report)
                    if not transport.connected:
                        break
                else:
                    outcomes.add(
                        item.row_id,
                        OutboxStatus.SENT,
                        attempts=item.attempts + 1,
                        sent_at=clock(),
                        subject=item.subject[:300],
                        last_error=None,
                    )
                    report.sent += 1
    except TransientError as exc:
        # Could not connect at all: every row in the batch waits and tries again.
        for item in pending:
            _retry_or_fail(outcomes, item.row_id, item.attempts, clock(), str(exc), report)
        pending = []
    outcomes.flush()
    # Rows left after a dropped connection or a stop go straight back to the queue, untried.
    release(owner, [p.row_id for p in pending])
    return report


def release(owner: str, row_ids: list[int]) -> None:
    """Give claimed rows back to the queue without counting an attempt."""
    if not row_ids:
        return
    table = OutboxMessage.__table__
    db.session.execute(
        update(table)
        .where(table.c.id.in_(row_ids), table.c.lease_owner == owner)
        .values(status=OutboxStatus.QUEUED, lease_owner=None, lease_expires_at=None)
    )
    db.session.commit()


# What each pass does before sending, in order: (the BatchReport field for the count it
# returns, the sweep). Each commits its own work. A new sweep is one line here (and its
# count's field).
SWEEPS: list[tuple[str, Callable[[datetime], int]]] = [
    ("reaped", reap_expired_leases),
    ("planned", plan_reminders),
    ("erased", apply_retention),
]


def run_once(clock: Clock = utcnow, stop: threading.Event | None = None) -> BatchReport:
    """Run the sweeps, then claim, render and send batch after batch until nothing is due
    (or told to stop)."""
    cfg = current_app.config
    owner = secrets.token_hex(8)
    total = BatchReport()
    with transactions.begin_mode(Mode.WRITE):
        for name, sweep in SWEEPS:
            setattr(total, name, sweep(clock()))
        while not (stop and stop.is_set()):
            ids = claim(clock(), owner, cfg["OUTBOX_BATCH_SIZE"], cfg["OUTBOX_LEASE_SECONDS"])
            if not ids:
                break
            report = deliver(ids, owner, clock, stop)
            log.info(
                "mail batch: claimed=%d sent=%d retried=%d failed=%d skipped=%d",
                report.claimed,
                report.sent,
                report.retried,
                report.failed,
                report.skipped,
            )
            total.add(report)
            if report.sent == report.skipped == report.failed == 0:
                break  # everything went to retry: the server is down; wait for the next pass
    db.session.remove()
    return total


def run_forever(stop: threading.Event, clock: Clock = utcnow) -> None:
    idle = current_app.config["WORKER_IDLE_SECONDS"]
    log.info("mail worker started")
    while not stop.is_set():
        try:
            run_once(clock, stop)
        except Exception:  # the database may be restarting; keep the worker alive
            log.exception("mail worker pass failed; retrying after a pause")
            db.session.remove()
        stop.wait(idle)
    log.info("mail worker stopped")
