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
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import bindparam, select, update

from eventsapp import sqlite
from eventsapp.extensions import db
from eventsapp.mail import renderers
from eventsapp.mail.batches import NotSent, Prepared, render_batch
from eventsapp.mail.transport import (
    FileTransport,
    PermanentError,
    SMTPTransport,
    TransientError,
    Transport,
)
from eventsapp.models import OutboxMessage
from eventsapp.services import privacy, reminders
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
        .where(OutboxMessage.status == "sending", OutboxMessage.lease_expires_at < now)
        .values(status="queued", lease_owner=None, lease_expires_at=None)
    )
    db.session.commit()
    return result.rowcount


def claim(now: datetime, owner: str, limit: int, lease_seconds: int) -> list[int]:
    ids = list(
        db.session.scalars(
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "queued", OutboxMessage.due_at <= now)
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
                status="sending",
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=lease_seconds),
            )
        )
    db.session.commit()
    return ids


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

    def add(self, row_id: int, status: str, **values: object) -> None:
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
                    table.c.status == "sending",
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
        outcomes.add(row_id, "failed", attempts=attempts, last_error=error)
        report.failed += 1
    else:
        outcomes.add(
            row_id,
            "queued",
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
    ids: list[int],
    owner: str,
    clock: Clock,
    stop: threading.Event | None = None,
    items: list[Prepared | NotSent] | None = None,
) -> BatchReport:
    """Send leased rows over one connection; one bad address does not stop the batch.

    `items` are the rows already rendered (by a render process); otherwise they are
    rendered here first.
    """
    cfg = current_app.config
    report = BatchReport(claimed=len(ids))
    envelope_from = parseaddr(cfg["MAIL_DEFAULT_SENDER"])[1]
    outcomes = _Outcomes(owner, cfg["OUTBOX_RECORD_EVERY"])
    if items is None:
        items = render_batch(ids, owner, clock())
    pending: list[Prepared] = []
    for item in items:
        if isinstance(item, Prepared):
            pending.append(item)
        elif item.error is None:
            outcomes.add(item.row_id, "skipped")
            report.skipped += 1
        else:
            outcomes.add(item.row_id, "failed", attempts=item.attempts + 1, last_error=item.error)
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
                        item.row_id, "failed", attempts=item.attempts + 1, last_error=str(exc)
                    )
                    report.failed += 1
                except TransientError as exc:
                    _retry_or_fail(outcomes, item.row_id, item.attempts, clock(), str(exc), report)
                    if not transport.connected:
                        break
                else:
                    outcomes.add(
                        item.row_id,
                        "sent",
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
        .values(status="queued", lease_owner=None, lease_expires_at=None)
    )
    db.session.commit()


def run_once(clock: Clock = utcnow, stop: threading.Event | None = None) -> BatchReport:
    """Reap expired leases, then claim and send until nothing is due (or told to stop)."""
    with sqlite.begin_mode(sqlite.IMMEDIATE):
        return _run_once(clock, stop)


def _run_once(clock: Clock, stop: threading.Event | None) -> BatchReport:
    """Claim, render and send batch after batch.

    With a render process, the next batch is claimed and rendered there while this
    process sends the current one: rendering is CPU work and SMTP mostly waiting.
    """
    cfg = current_app.config
    owner = secrets.token_hex(8)
    total = BatchReport(reaped=reap_expired_leases(clock()), planned=plan_reminders(clock()))
    total.erased = apply_retention(clock())
    renderer = renderers.get(cfg)

    def claim_and_render() -> tuple[list[int], Future[list[Prepared | NotSent]] | None]:
        ids = claim(clock(), owner, cfg["OUTBOX_BATCH_SIZE"], cfg["OUTBOX_LEASE_SECONDS"])
        return ids, renderer.submit(ids, owner, clock()) if ids else None

    ids, rendering = claim_and_render()
    while ids and rendering is not None:
        items = rendering.result()
        if stop and stop.is_set():
            release(owner, ids)
            break
        next_ids, next_rendering = claim_and_render()
        report = deliver(ids, owner, clock, stop, items)
        log.info(
            "mail batch: claimed=%d sent=%d retried=%d failed=%d skipped=%d",
            report.claimed,
            report.sent,
            report.retried,
            report.failed,
            report.skipped,
        )
        total.add(report)
        ids, rendering = next_ids, next_rendering
        if report.sent == 0 and report.skipped == 0 and report.failed == 0:
            # Everything went to retry: the server is down. Wait for the next pass.
            if rendering is not None:
                rendering.result()
            release(owner, ids)
            break
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
