"""The mail worker: claim due outbox rows, render, send, record the outcome.

Claiming leases rows to one worker (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the
BEGIN IMMEDIATE write lock), so several workers share the queue without sending a row
twice while it is leased. Outcomes are recorded in groups of OUTBOX_RECORD_EVERY. Leases
that expire (a killed worker) return their rows to the queue.

If the database goes away after a group was sent and before it was recorded, the group's
outcomes stay in this process's memory (`Unrecorded`) and are written as soon as the
database answers: at once on a fresh connection (a restart or a killed connection is
usually over by then), else before anything else in each later pass, and no more is sent
meanwhile. A remembered row that comes back to this worker (its lease expired) is
recorded, never sent again. What remains is the limit of SMTP: a worker killed outright
between sending a group and recording it sends that group again once its lease expires,
at most OUTBOX_RECORD_EVERY emails.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import ColumnElement, and_, bindparam, or_, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from eventsapp import leases, transactions
from eventsapp.extensions import db
from eventsapp.mail import bounces
from eventsapp.mail.render import render, to_bytes
from eventsapp.mail.signing import Signer, signer_for
from eventsapp.mail.transport import (
    FileTransport,
    PermanentError,
    SMTPTransport,
    TransientError,
    Transport,
)
from eventsapp.models import OutboxMessage, OutboxStatus, Registration, Webinar
from eventsapp.platforms import worker as platform_worker
from eventsapp.services import communication_needs, privacy, reminders
from eventsapp.texts import worker as text_worker
from eventsapp.transactions import Mode
from eventsapp.uktime import utcnow
from eventsapp.webhooks import worker as webhook_worker

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
    # Outcomes remembered over a lost database connection, written later.
    recorded: int = 0
    bounced: int = 0
    # Calls made to Zoom and Teams (platforms/worker.py).
    zoom: int = 0
    # Webhook deliveries made (webhooks/worker.py).
    webhooks: int = 0
    # Text-message reminders sent (texts/worker.py).
    texts: int = 0
    # Reminders to organisers to book captions or an interpreter (services/communication_needs).
    needs_booking: int = 0

    def add(self, other: BatchReport) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


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
    reaped = leases.reap(OutboxMessage, now)
    db.session.commit()
    return reaped


def claim(now: datetime, owner: str, limit: int, lease_seconds: int) -> list[int]:
    return leases.claim(OutboxMessage, now, owner, limit, lease_seconds)


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


def render_batch(
    ids: list[int], owner: str, now: datetime, signer: Signer | None = None
) -> list[Prepared | NotSent]:
    """Render (and DKIM-sign) every row of the batch this worker still holds, in one
    read-only pass.

    Read-only work (no write lock on SQLite), over before any network call. Rows whose
    reason has gone are skipped; a template bug fails only its row. The signature covers
    the bytes exactly as they are sent.
    """
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    items: list[Prepared | NotSent] = []
    with transactions.begin_mode(Mode.READ):
        rows = db.session.scalars(
            leases.held(OutboxMessage, ids, owner).options(
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
                if signer is not None:
                    data = signer.sign(data)
            except Exception as exc:  # a template bug must not stop the batch
                log.exception("outbox row %s (%s): render failed", row.id, row.kind)
                items.append(NotSent(row.id, row.attempts, f"render: {type(exc).__name__}"))
                continue
            items.append(
                Prepared(row.id, row.attempts, row.recipient, row.message_id, email.subject, data)
            )
        db.session.rollback()
    return items


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed row: its new status and the columns to write with it."""

    row_id: int
    status: OutboxStatus
    values: dict[str, object] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[str, tuple[str, ...]]:
        return self.status, tuple(sorted(self.values))


def _write(outcomes: list[Outcome], connection: Connection, held_by: str | None) -> None:
    """One executemany per shape of outcome, in the caller's transaction.

    held_by: only rows that lease owner still holds. None: any row nobody has settled yet
    (queued or sending), for outcomes remembered past a lost connection, whose lease may
    have expired meanwhile; a row settled since (sent, or erased) is left as it is.
    """
    table = OutboxMessage.__table__
    holds: ColumnElement[bool] = (
        # Not IN (…): an expanding parameter cannot be used with executemany.
        or_(table.c.status == OutboxStatus.QUEUED, table.c.status == OutboxStatus.SENDING)
        if held_by is None
        else and_(table.c.lease_owner == held_by, table.c.status == OutboxStatus.SENDING)
    )
    shapes: dict[tuple[str, tuple[str, ...]], list[dict[str, object]]] = {}
    for outcome in outcomes:
        shapes.setdefault(outcome.shape, []).append(
            {
                "b_id": outcome.row_id,
                "b_status": outcome.status,
                **{f"b_{k}": v for k, v in outcome.values.items()},
            }
        )
    for (_status, names), params in shapes.items():
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"), holds)
            .values(
                status=bindparam("b_status"),
                lease_owner=None,
                lease_expires_at=None,
                **{n: bindparam(f"b_{n}") for n in names},
            )
        )
        connection.execute(stmt, params)


def _discard_transaction() -> None:
    """Roll back after a database error; a dead connection is dropped by the pool."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.close()


class Unrecorded:
    """What this process knows but could not write because the database went away:
    outcomes of rows it settled (above all, emails it sent), and rows it held but did not
    send (to give back to the queue). Kept until the database answers again; a few dozen
    at most, since nothing more is sent while any are kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outcomes: dict[int, Outcome] = {}
        self._unsent: dict[int, str] = {}  # row id -> the lease owner holding it

    def __len__(self) -> int:
        with self._lock:
            return len(self._outcomes) + len(self._unsent)

    def keep(self, outcomes: list[Outcome]) -> None:
        with self._lock:
            self._outcomes.update((o.row_id, o) for o in outcomes)

    def keep_unsent(self, owner: str, row_ids: list[int]) -> None:
        with self._lock:
            self._unsent.update((row_id, owner) for row_id in row_ids)

    def take(self, row_ids: list[int]) -> list[Outcome]:
        """The remembered outcomes of these rows (claimed again), forgotten here: the
        caller records them instead of sending."""
        with self._lock:
            return [self._outcomes.pop(i) for i in row_ids if i in self._outcomes]

    def record(self) -> int:
        """Write everything remembered in one transaction, then forget it. Raises the
        database's error if it is still away; everything stays remembered then."""
        with self._lock:
            outcomes = list(self._outcomes.values())
            unsent = dict(self._unsent)
        if not outcomes and not unsent:
            return 0
        connection = db.session.connection()
        _write(outcomes, connection, held_by=None)
        table = OutboxMessage.__table__
        for owner in set(unsent.values()):
            connection.execute(
                update(table)
                .where(
                    table.c.id.in_([i for i, o in unsent.items() if o == owner]),
                    table.c.lease_owner == owner,
                    table.c.status == OutboxStatus.SENDING,
                )
                .values(status=OutboxStatus.QUEUED, lease_owner=None, lease_expires_at=None)
            )
        db.session.commit()
        with self._lock:
            for outcome in outcomes:
                if self._outcomes.get(outcome.row_id) is outcome:
                    del self._outcomes[outcome.row_id]
            for row_id, owner in unsent.items():
                if self._unsent.get(row_id) == owner:
                    del self._unsent[row_id]
        return len(outcomes)


def unrecorded() -> Unrecorded:
    """This app's memory of unrecorded outcomes (one per app, so per database)."""
    extensions = current_app.extensions
    if "outbox_unrecorded" not in extensions:
        extensions["outbox_unrecorded"] = Unrecorded()
    memory: Unrecorded = extensions["outbox_unrecorded"]
    return memory


class RecordingLost(Exception):
    """Sent emails could not be recorded and the database did not come back at once: they
    are remembered, and this batch stops until it does."""


# Called with the number of outcomes whenever a group is about to be written (the emails
# already sent), on the connection that will write it: the fault tests cut it here.
before_recording: list[Callable[[int], None]] = []


class _Outcomes:
    """Outcomes of sent, skipped and failed rows, written in small groups.

    One executemany per group instead of an UPDATE and a COMMIT per message. A row is
    only updated while this worker still holds its lease. The group size bounds what a
    worker killed outright can cause to be sent twice (see the module docstring).
    """

    def __init__(self, owner: str, group: int):
        self.owner, self.group = owner, group
        self.items: list[Outcome] = []

    def add(self, row_id: int, status: OutboxStatus, **values: object) -> None:
        self.add_outcome(Outcome(row_id, status, values))

    def add_outcome(self, outcome: Outcome) -> None:
        self.items.append(outcome)
        if len(self.items) >= self.group:
            self.flush()

    def flush(self) -> None:
        if not self.items:
            return
        items, self.items = self.items, []
        try:
            connection = db.session.connection()
            for hook in before_recording:
                hook(len(items))
            _write(items, connection, held_by=self.owner)
            db.session.commit()
        except SQLAlchemyError:
            _discard_transaction()
            memory = unrecorded()
            memory.keep(items)
            log.warning("mail outcomes: database lost; %d kept in memory", len(items))
            try:
                memory.record()  # on a fresh connection: most losses are over at once
            except SQLAlchemyError as exc:
                _discard_transaction()
                raise RecordingLost from exc
            log.info("mail outcomes: %d recorded on a new connection", len(items))


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
            due_at=now + leases.backoff(attempts),
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


def plan_needs_booking(now: datetime) -> int:
    """Queue the organisers' reminders to book captions or an interpreter that are due."""
    queued = communication_needs.plan_booking_reminders(now)
    db.session.commit()
    if queued:
        log.info("needs booking: %d reminder(s) to organisers queued", queued)
    return queued


def record_remembered(_now: datetime) -> int:
    """Write the outcomes kept over a lost connection before anything else: until then the
    pass goes no further (the sweep raises if the database is still away)."""
    memory = unrecorded()
    if not len(memory):
        return 0
    recorded = memory.record()
    log.info("mail outcomes: %d remembered outcome(s) recorded", recorded)
    return recorded


def deliver(
    ids: list[int],
    owner: str,
    clock: Clock,
    stop: threading.Event | None = None,
    signer: Signer | None = None,
) -> BatchReport:
    """Render leased rows, then send them over one connection; one bad address does not
    stop the batch."""
    cfg = current_app.config
    report = BatchReport(claimed=len(ids))
    outcomes = _Outcomes(owner, cfg["OUTBOX_RECORD_EVERY"])
    pending: list[Prepared] = []
    try:
        # Rows this process settled but could not record, claimed again after their lease
        # expired: record what happened to them; never send them a second time.
        remembered = unrecorded().take(ids)
        for known in remembered:
            outcomes.add_outcome(known)
        report.recorded = len(remembered)
        outcomes.flush()
        skip = {o.row_id for o in remembered}
        for item in render_batch([i for i in ids if i not in skip], owner, clock(), signer):
            if isinstance(item, Prepared):
                pending.append(item)
            elif item.error is None:
                outcomes.add(item.row_id, OutboxStatus.SKIPPED)
                report.skipped += 1
            else:
                outcomes.add(
                    item.row_id,
                    OutboxStatus.FAILED,
                    attempts=item.attempts + 1,
                    last_error=item.error,
                )
                report.failed += 1
        outcomes.flush()
        pending = _send(pending, outcomes, clock, stop, report)
        outcomes.flush()
        # Rows left after a dropped connection or a stop go straight back to the queue,
        # untried.
        release(owner, [p.row_id for p in pending])
    except (RecordingLost, SQLAlchemyError):
        # Keep what is known and not written; what was not sent goes back to the queue
        # once the database answers (only rows still held then: settled ones go first).
        memory = unrecorded()
        memory.keep(outcomes.items)
        memory.keep_unsent(owner, ids)
        raise
    return report


def _send(
    pending: list[Prepared],
    outcomes: _Outcomes,
    clock: Clock,
    stop: threading.Event | None,
    report: BatchReport,
) -> list[Prepared]:
    """Send what is pending over one connection; returns what was left unsent. Each
    email's envelope sender names it when bounces are read (mail/bounces.py)."""
    try:
        with make_transport() as transport:
            while pending and not (stop and stop.is_set()):
                item = pending.pop(0)
                try:
                    transport.send(
                        bounces.envelope_sender(item.row_id),
                        item.recipient,
                        item.data,
                        item.message_id,
                    )
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
        while pending:
            item = pending.pop(0)
            _retry_or_fail(outcomes, item.row_id, item.attempts, clock(), str(exc), report)
    return pending


def release(owner: str, row_ids: list[int]) -> None:
    """Give claimed rows back to the queue without counting an attempt."""
    leases.release(OutboxMessage, owner, row_ids)


# What each pass does before sending, in order: (the BatchReport field for the count it
# returns, the sweep). Each commits its own work. A new sweep is one line here (and its
# count's field).
SWEEPS: list[tuple[str, Callable[[datetime], int]]] = [
    ("recorded", record_remembered),
    ("reaped", reap_expired_leases),
    ("planned", plan_reminders),
    ("erased", apply_retention),
    ("bounced", bounces.sweep),
    ("zoom", platform_worker.run),
    ("webhooks", webhook_worker.run),
    ("texts", text_worker.run),
    ("needs_booking", plan_needs_booking),
]


def run_once(clock: Clock = utcnow, stop: threading.Event | None = None) -> BatchReport:
    """Run the sweeps, then claim, render and send batch after batch until nothing is due
    (or told to stop)."""
    cfg = current_app.config
    owner = secrets.token_hex(8)
    total = BatchReport()
    # Read once a pass: a missing key fails the pass before anything is claimed.
    signer = signer_for(cfg)
    with transactions.begin_mode(Mode.WRITE):
        for name, sweep in SWEEPS:
            setattr(total, name, sweep(clock()))
        while not (stop and stop.is_set()):
            ids = claim(clock(), owner, cfg["OUTBOX_BATCH_SIZE"], cfg["OUTBOX_LEASE_SECONDS"])
            if not ids:
                break
            report = deliver(ids, owner, clock, stop, signer)
            log.info(
                "mail batch: claimed=%d sent=%d retried=%d failed=%d skipped=%d",
                report.claimed,
                report.sent,
                report.retried,
                report.failed,
                report.skipped,
            )
            total.add(report)
            if report.sent == report.skipped == report.failed == report.recorded == 0:
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
    _record_before_exit()
    log.info("mail worker stopped")


def _record_before_exit() -> None:
    """A last try at what the database never took: after this, memory is gone."""
    memory = unrecorded()
    if not len(memory):
        return
    try:
        with transactions.begin_mode(Mode.WRITE):
            memory.record()
    except SQLAlchemyError:
        log.error("mail worker stopped with %d outcome(s) unrecorded", len(memory))
    finally:
        db.session.remove()
