"""Bounces: each email's return path names it (VERP), and a worker sweep reads the delivery
reports (RFC 3464) that come back to the bounce mailbox over IMAP.

With BOUNCE_IMAP_URL set, the envelope sender (MAIL FROM, which the receiving server turns
into Return-Path) is BOUNCE_ADDRESS with a token after a "+": `bounces+<token>@domain`.
The token is the outbox row's id and an HMAC of it under SECRET_KEY, so a report can be
matched to its email without storing anything, and no one can forge one that marks someone
else's address. Same domain as From, so SPF passes aligned for DMARC.

A hard bounce (Action: failed, Status 5.x.x) marks the row bounced and the registration's
address as bouncing (email_bounced): reminders, follow-ups and announcements then stop
(mail/render._still_wanted). Soft bounces (4.x.x, or "delayed") change nothing: the
server keeps trying and may yet deliver. Each report is flagged \\Seen once what it says
is committed, so it is read once; a crash in between only reads it again (marking twice
changes nothing). The log has counts only, never an address or a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, message_from_string, policy
from email.message import Message
from email.utils import getaddresses, parseaddr
from enum import StrEnum

from flask import current_app
from sqlalchemy import update

from eventsapp.config import ImapMailbox, imap_mailbox
from eventsapp.extensions import db
from eventsapp.models import OutboxMessage, OutboxStatus, Registration

log = logging.getLogger(__name__)

# Headers where a mailbox's server or the reporting server wrote the address the report was
# sent to: our VERP address (the original email's return path).
_ADDRESSED_TO = ("Delivered-To", "X-Original-To", "Envelope-To", "To")
_STATUS = re.compile(r"^([245])\.\d{1,3}\.\d{1,3}$")
# How many reports one sweep reads at most; the rest wait for the next sweep.
_PER_SWEEP = 200


class Severity(StrEnum):
    HARD = "hard"  # will never be delivered: stop sending to the address
    SOFT = "soft"  # delayed or temporarily refused: nothing to do


# --- VERP: the return path that names its email --------------------------------------------


def _tag(row_id: int) -> str:
    """80 bits of HMAC in lower-case base32: mail servers may change the case of a local part."""
    mac = hmac.new(
        current_app.config["SECRET_KEY"].encode(), f"bounce|{row_id}".encode(), hashlib.sha256
    ).digest()
    return base64.b32encode(mac[:10]).decode().lower()


def return_path(row_id: int) -> str:
    """The envelope sender for outbox row `row_id`: BOUNCE_ADDRESS with `+<id>-<tag>`."""
    local, _, domain = current_app.config["BOUNCE_ADDRESS"].rpartition("@")
    return f"{local}+{row_id}-{_tag(row_id)}@{domain}"


def row_named_by(address: str) -> int | None:
    """The outbox row a VERP address names, or None (not ours, or a forged tag)."""
    local, _, domain = address.strip().lower().rpartition("@")
    base_local, _, base_domain = current_app.config["BOUNCE_ADDRESS"].lower().rpartition("@")
    prefix = base_local + "+"
    if domain != base_domain or not local.startswith(prefix):
        return None
    row, _, tag = local[len(prefix) :].partition("-")
    if not row.isdigit() or len(row) > 18:
        return None
    return int(row) if hmac.compare_digest(_tag(int(row)), tag) else None


def bounces_enabled() -> bool:
    return bool(current_app.config.get("BOUNCE_IMAP_URL"))


def envelope_sender(row_id: int) -> str:
    """VERP when bounces are read; otherwise the From address, as before."""
    if bounces_enabled():
        return return_path(row_id)
    return parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]


# --- reading delivery reports -------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """What one delivery report says about one of our emails."""

    row_id: int
    severity: Severity
    status: str  # the RFC 3463 code, e.g. "5.1.1" (no address, no diagnostic text)


def _status_blocks(part: Message) -> list[Message]:
    """The header blocks of a message/delivery-status part: per-message, then per-recipient."""
    payload = part.get_payload()
    if isinstance(payload, list):  # the email package parses message/delivery-status so
        return [block for block in payload if isinstance(block, Message)]
    raw = part.get_payload(decode=True)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(payload)
    blocks = re.split(r"\r?\n\s*\r?\n", text.strip())
    return [message_from_string(block + "\n\n", policy=policy.default) for block in blocks]


def _delivery_status(message: Message) -> list[Message] | None:
    """The per-recipient blocks of an RFC 3464 report, or None if this is not one."""
    if message.get_content_type() != "multipart/report":
        return None
    if str(message.get_param("report-type", "")).lower() not in (
        "delivery-status",
        "global-delivery-status",  # RFC 6533, from servers that speak SMTPUTF8
    ):
        return None
    for part in message.walk():
        if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
            return [block for block in _status_blocks(part) if block.get("Action")]
    return None


def _severity(blocks: list[Message]) -> tuple[Severity, str] | None:
    """Hard if any recipient failed with a 5.x.x status; soft for 4.x.x or "delayed"."""
    found: tuple[Severity, str] | None = None
    for block in blocks:
        action = str(block.get("Action", "")).strip().lower()
        status = str(block.get("Status", "")).strip().split(" ")[0]
        match = _STATUS.match(status)
        if not match:
            continue
        if action == "failed" and match.group(1) == "5":
            return Severity.HARD, status
        if action in ("failed", "delayed") and match.group(1) == "4":
            found = found or (Severity.SOFT, status)
    return found


def read_report(raw: bytes) -> Report | None:
    """A delivery report about one of our emails, or None for anything else (an auto-reply,
    spam, a report whose address is not one of ours or whose token is forged)."""
    message = message_from_bytes(raw, policy=policy.default)
    blocks = _delivery_status(message)
    if not blocks:
        return None
    severity = _severity(blocks)
    if severity is None:
        return None
    fields = [str(value) for name in _ADDRESSED_TO for value in message.get_all(name, [])]
    for _name, address in getaddresses(fields):
        row_id = row_named_by(address)
        if row_id is not None:
            return Report(row_id, *severity)
    return None


# --- applying them ------------------------------------------------------------------------


def apply(reports: list[Report], now: datetime) -> int:
    """Record the hard bounces (in the caller's transaction); returns how many."""
    hard = [r for r in reports if r.severity is Severity.HARD]
    for report in hard:
        row = db.session.get(OutboxMessage, report.row_id)
        if row is None:
            continue
        if row.status in (OutboxStatus.SENT, OutboxStatus.BOUNCED):
            row.status = OutboxStatus.BOUNCED
            row.last_error = f"bounced: {report.status}"
        if row.registration_id is not None:
            db.session.execute(
                update(Registration)
                .where(Registration.id == row.registration_id, Registration.erased_at.is_(None))
                .values(email_bounced=True)
            )
    return len(hard)


def _connect(mailbox: ImapMailbox, timeout: float) -> imaplib.IMAP4:
    if mailbox.tls:
        return imaplib.IMAP4_SSL(
            mailbox.host, mailbox.port, ssl_context=ssl.create_default_context(), timeout=timeout
        )
    return imaplib.IMAP4(mailbox.host, mailbox.port, timeout=timeout)


@dataclass
class SweepReport:
    read: int = 0
    hard: int = 0
    soft: int = 0
    other: int = 0


def check_mailbox(now: datetime) -> SweepReport:
    """Read the unseen messages of the bounce mailbox, record what they say, flag them seen."""
    cfg = current_app.config
    mailbox = imap_mailbox(cfg["BOUNCE_IMAP_URL"])
    result = SweepReport()
    imap = _connect(mailbox, cfg["MAIL_TIMEOUT_SECONDS"])
    try:
        imap.login(mailbox.username, mailbox.password)
        status, _ = imap.select(_quoted(mailbox.mailbox))
        if status != "OK":
            raise imaplib.IMAP4.error("mailbox cannot be selected")
        _, found = imap.uid("SEARCH", "UNSEEN")
        uids = (found[0] or b"").split()[:_PER_SWEEP] if found else []
        reports: list[Report] = []
        for uid in uids:
            raw = _fetch(imap, uid)
            report = read_report(raw) if raw is not None else None
            result.read += 1
            if report is None:
                result.other += 1
            else:
                reports.append(report)
                if report.severity is Severity.HARD:
                    result.hard += 1
                else:
                    result.soft += 1
        apply(reports, now)
        db.session.commit()  # before flagging: a report is never lost, at worst read twice
        if uids:
            imap.uid("STORE", b",".join(uids).decode(), "+FLAGS.SILENT", r"(\Seen)")
    finally:
        try:
            imap.logout()
        except (OSError, imaplib.IMAP4.error):
            pass
    return result


def _fetch(imap: imaplib.IMAP4, uid: bytes) -> bytes | None:
    # BODY.PEEK: reading does not set \Seen; only a report that was recorded is flagged.
    status, data = imap.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
    if status != "OK":
        return None
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_LAST_CHECK = "bounces_last_check"


def sweep(now: datetime) -> int:
    """The worker's sweep: at most every BOUNCE_CHECK_SECONDS per process. An unreachable
    mailbox is logged and mail goes on being sent; returns the hard bounces recorded."""
    cfg = current_app.config
    if not bounces_enabled():
        return 0
    last: datetime | None = current_app.extensions.get(_LAST_CHECK)
    if last is not None and now - last < timedelta(seconds=cfg["BOUNCE_CHECK_SECONDS"]):
        return 0
    current_app.extensions[_LAST_CHECK] = now
    try:
        result = check_mailbox(now)
    except (OSError, imaplib.IMAP4.error) as exc:
        db.session.rollback()
        log.warning("bounces: the mailbox could not be read (%s)", type(exc).__name__)
        return 0
    if result.read:
        log.info(
            "bounces: %d report(s) read: %d hard, %d soft, %d other",
            result.read,
            result.hard,
            result.soft,
            result.other,
        )
    return result.hard
