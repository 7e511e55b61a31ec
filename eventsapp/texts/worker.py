"""The text sweep (one of the mail worker's sweeps, mail/worker.SWEEPS): plan the reminders
that have fallen due, then claim, send and record them.

The outbox's shape (eventsapp/leases.py): due rows are leased to one worker; what each text
needs (the number, the body) is read and rendered first, with no write lock held while the
provider answers; each outcome is then written and committed on its own. Rows whose reason
has gone (cancelled, erased, stopped, the webinar moved, cancelled or begun) are skipped.
Transient failures retry with the outbox's backoff (1, 2, 4 … minutes), at least a 429's
Retry-After; a provider that is down ends the pass and the rest of the batch goes back to
the queue untried. A permanent failure fails the row; Twilio's 21610 (they replied STOP)
also stops their opt-ins. Nothing is sent from a request.

Effectively once: the dedupe key makes one text per registration and due time, and a row
is sent only by the worker holding its lease. A worker killed between the provider
accepting a text and its outcome being committed leaves the row to come back when its
lease expires: at most that one text can go twice.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from eventsapp import leases, transactions
from eventsapp.extensions import db
from eventsapp.models import (
    Registration,
    RegistrationStatus,
    TextMessage,
    TextReminderOptIn,
    TextStatus,
    Webinar,
)
from eventsapp.services import text_reminders
from eventsapp.texts import render
from eventsapp.texts.provider import (
    FileProvider,
    NotConfigured,
    PermanentError,
    Provider,
    TransientError,
)
from eventsapp.texts.twilio import TwilioProvider
from eventsapp.transactions import Mode

log = logging.getLogger(__name__)


def make_provider(config: Mapping[str, Any]) -> Provider:
    """Twilio when configured; files under instance/texts/ in development."""
    if config.get("TWILIO_ACCOUNT_SID"):
        return TwilioProvider.from_config(config)
    if config.get("APP_ENV") == "development":
        return FileProvider(Path(config["INSTANCE_DIR"]) / "texts")
    raise NotConfigured("TWILIO_ACCOUNT_SID is not set")


BATCH_SIZE = 50
# Texts one pass sends at most, so a big webinar cannot hold up the mail for long.
PASS_LIMIT = 1000
# A reminder is worth sending only before the start, which ends its retries anyway; this
# bounds them for a provider that keeps failing.
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Prepared:
    """A claimed text, read and rendered before any network call; `to` None: skip it."""

    text_id: int
    attempts: int
    to: str | None
    body: str = ""
    error: str | None = None  # it could not be rendered: failed, not sent


def claim(now: datetime, owner: str, limit: int, lease_seconds: int) -> list[int]:
    return leases.claim(TextMessage, now, owner, limit, lease_seconds)


def prepare(ids: list[int], owner: str, now: datetime) -> list[Prepared]:
    items: list[Prepared] = []
    with transactions.begin_mode(Mode.READ):
        rows = db.session.scalars(leases.held(TextMessage, ids, owner)).all()
        for text in rows:
            try:
                items.append(_prepare(text, now))
            except Exception as exc:  # noqa: BLE001 (a bug fails its own text only)
                log.error("text %s: %s while rendering", text.id, type(exc).__name__)
                items.append(Prepared(text.id, text.attempts, None, error=type(exc).__name__))
        db.session.rollback()
    return items


def _prepare(text: TextMessage, now: datetime) -> Prepared:
    skip = Prepared(text.id, text.attempts, None)
    registration = (
        db.session.get(Registration, text.registration_id) if text.registration_id else None
    )
    if (
        registration is None
        or registration.erased_at is not None
        or registration.status != RegistrationStatus.CONFIRMED
    ):
        return skip
    webinar = db.session.get(Webinar, registration.webinar_id)
    if not text_reminders.still_due(text, webinar, now):
        return skip
    assert webinar is not None
    opt_in = db.session.scalar(
        select(TextReminderOptIn).where(TextReminderOptIn.registration_id == registration.id)
    )
    if opt_in is None or opt_in.stopped_at is not None:
        return skip
    return Prepared(
        text.id, text.attempts, opt_in.phone, render.reminder(registration, webinar, now)
    )


@dataclass
class PassReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0


def _settle(text_id: int, owner: str, status: TextStatus, **values: object) -> bool:
    return leases.settle(TextMessage, text_id, owner, status, **values)


def _run_batch(
    provider: Provider,
    items: list[Prepared],
    owner: str,
    clock: Callable[[], datetime],
    report: PassReport,
) -> bool:
    """Send each and record it; False when the provider is down or asks us to wait (the
    rest goes back to the queue untried)."""
    for index, item in enumerate(items):
        if item.error is not None:
            _settle(
                item.text_id,
                owner,
                TextStatus.FAILED,
                attempts=item.attempts + 1,
                last_error=f"render: {item.error}",
            )
            db.session.commit()
            report.failed += 1
            continue
        if item.to is None:
            _settle(item.text_id, owner, TextStatus.SKIPPED)
            db.session.commit()
            report.skipped += 1
            continue
        attempts = item.attempts + 1
        try:
            message_id = provider.send(item.to, item.body)
        except TransientError as exc:
            now = clock()
            asked = timedelta(seconds=exc.retry_after or 0)
            retried = leases.retry_or_fail(
                TextMessage,
                item.text_id,
                owner,
                attempts=attempts,
                max_attempts=MAX_ATTEMPTS,
                now=now,
                error=str(exc),
                at_least=asked,
            )
            report.retried += retried
            report.failed += not retried
            db.session.commit()
            rest = [i.text_id for i in items[index + 1 :]]
            wait = max(leases.backoff(attempts), asked)
            leases.release(TextMessage, owner, rest, now + wait if exc.retry_after else None)
            return False
        except PermanentError as exc:
            _settle(
                item.text_id, owner, TextStatus.FAILED, attempts=attempts, last_error=str(exc)[:200]
            )
            if exc.recipient_stopped:
                text_reminders.stop(item.to, clock())
            db.session.commit()
            report.failed += 1
            continue
        except Exception as exc:  # noqa: BLE001 (a bug stops no other text; no traceback: it could hold the number)
            log.error("text %s: %s while sending", item.text_id, type(exc).__name__)
            _settle(
                item.text_id,
                owner,
                TextStatus.FAILED,
                attempts=attempts,
                last_error=type(exc).__name__,
            )
            db.session.commit()
            report.failed += 1
            continue
        _settle(
            item.text_id,
            owner,
            TextStatus.SENT,
            attempts=attempts,
            sent_at=clock(),
            provider_message_id=message_id[:64],
            last_error=None,
        )
        db.session.commit()
        report.sent += 1
    return True


def run(now: datetime) -> int:
    """The sweep: plan the reminders that have fallen due, then send what is due. Returns
    texts sent."""
    cfg = current_app.config
    started = time.monotonic()

    def clock() -> datetime:  # `now`, moving on with real time during the pass
        return now + timedelta(seconds=time.monotonic() - started)

    leases.reap(TextMessage, now)
    planned = text_reminders.plan(now)
    db.session.commit()
    if planned:
        log.info("text reminders planned: %d", planned)
    try:
        provider = make_provider(cfg)
    except NotConfigured as exc:
        due = db.session.scalar(
            select(TextMessage.id).where(
                TextMessage.status == TextStatus.QUEUED, TextMessage.due_at <= now
            )
        )
        db.session.rollback()
        if due is not None:
            log.warning("text messages are waiting: %s", exc)
        return 0
    owner = secrets.token_hex(8)
    report = PassReport()
    tried = 0
    while tried < PASS_LIMIT:
        ids = claim(clock(), owner, BATCH_SIZE, cfg["OUTBOX_LEASE_SECONDS"])
        if not ids:
            break
        tried += len(ids)
        if not _run_batch(provider, prepare(ids, owner, clock()), owner, clock, report):
            break
    close = getattr(provider, "close", None)
    if close is not None:
        close()
    if tried:
        log.info(
            "texts: sent=%d retried=%d failed=%d skipped=%d",
            report.sent,
            report.retried,
            report.failed,
            report.skipped,
        )
    return report.sent
