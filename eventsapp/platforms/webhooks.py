"""Zoom's webhooks: verified, never replayed, and turned into live join data.

Zoom signs each delivery: x-zm-signature is "v0=" + HMAC-SHA256 (the app's secret token)
of "v0:{x-zm-request-timestamp}:{raw body}". A delivery is accepted only with a good
signature, a timestamp within five minutes, and a signature not seen before (a copy sent
again by whoever saw it is refused). Zoom checks the endpoint with `endpoint.url_validation`,
answered with the plain token's HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select, update

from eventsapp.extensions import db
from eventsapp.models import Registration, WebhookReceipt, Webinar
from eventsapp.models.inserts import insert_unless_exists

FRESH_FOR = timedelta(minutes=5)


class Refusal(StrEnum):
    """Why a delivery was refused (logged; never its content)."""

    NOT_CONFIGURED = "no webhook secret is set"
    BAD_SIGNATURE = "bad signature"
    STALE = "timestamp too old or in the future"
    REPLAYED = "already received"
    NOT_JSON = "not JSON"


def _hmac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signature(secret: str, timestamp: str, body: str) -> str:
    return "v0=" + _hmac(secret, f"v0:{timestamp}:{body}")


def check(
    secret: str | None, timestamp: str, given: str, body: bytes, now: datetime
) -> dict[str, Any] | Refusal:
    """The delivery's JSON if it is Zoom's, fresh and new; else why not."""
    if not secret:
        return Refusal.NOT_CONFIGURED
    text = body.decode("utf-8", "replace")
    if not hmac.compare_digest(signature(secret, timestamp, text), given):
        return Refusal.BAD_SIGNATURE
    if not timestamp.isdigit():
        return Refusal.STALE
    sent = datetime.fromtimestamp(int(timestamp) / (1000 if len(timestamp) > 11 else 1), now.tzinfo)
    if abs(now - sent) > FRESH_FOR:
        return Refusal.STALE
    try:
        event = json.loads(text)
    except ValueError:
        return Refusal.NOT_JSON
    if not isinstance(event, dict):
        return Refusal.NOT_JSON
    db.session.execute(delete(WebhookReceipt).where(WebhookReceipt.received_at < now - FRESH_FOR))
    first = db.session.execute(
        insert_unless_exists(WebhookReceipt.__table__, "signature_hash"),
        {"signature_hash": hashlib.sha256(given.encode()).hexdigest(), "received_at": now},
    ).first()
    return event if first is not None else Refusal.REPLAYED


def url_validation(secret: str, event: dict[str, Any]) -> dict[str, str]:
    plain = str((event.get("payload") or {}).get("plainToken", ""))
    return {"plainToken": plain, "encryptedToken": _hmac(secret, plain)}


def record(event: dict[str, Any], now: datetime) -> bool:
    """A participant joined or left: their registration's joined times. True if it was ours."""
    if event.get("event") not in ("webinar.participant_joined", "webinar.participant_left"):
        return False
    meeting = (event.get("payload") or {}).get("object") or {}
    participant = meeting.get("participant") or {}
    webinar_id = db.session.scalar(
        select(Webinar.id).where(Webinar.zoom_webinar_id == str(meeting.get("id", "")))
    )
    if webinar_id is None:
        return False
    mine = Registration.webinar_id == webinar_id
    registrant = str(participant.get("registrant_id") or "")
    email = str(participant.get("email") or "").strip().lower()
    if registrant:
        whose = Registration.zoom_registrant_id == registrant
    elif email:
        whose = Registration.email_normalised == email
    else:
        return False
    values: dict[str, Any] = {"joined_last_at": now}
    if event["event"] == "webinar.participant_joined":
        values["joined_first_at"] = func.coalesce(Registration.joined_first_at, now)
    changed = db.session.execute(update(Registration).where(mine, whose).values(**values)).rowcount
    return bool(changed)
