"""The webhook sweep (one of the mail worker's sweeps): fan events out, then deliver.

Fan-out turns each event row into one delivery per endpoint that chose its type, among the
endpoints of the organisations hosting the webinar; the event row is then deleted. Delivery
is the outbox's shape (eventsapp/leases.py): claim due rows of endpoints that are not
paused, build each body from the data as it is now (eventsapp/services/records.py: the
organisation's own view, health details only if the endpoint includes them), sign it as
Standard Webhooks says, POST it (eventsapp/safe_post.py), record the attempt.
Failures retry on the schedule Standard Webhooks suggests (about 28 hours in all); after
the last, the delivery fails, the endpoint is paused and its organisation's organisers are
emailed. Resuming queues everything that waited or failed meanwhile.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import delete, insert, select
from standardwebhooks.webhooks import Webhook
from urllib3.exceptions import HTTPError

from eventsapp import leases, safe_post, transactions
from eventsapp.extensions import db
from eventsapp.mail import outbox
from eventsapp.mail.outbox import EmailKind
from eventsapp.models import (
    DeliveryStatus,
    Registration,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
    Webinar,
    webinar_hosts,
)
from eventsapp.services import records, webinars
from eventsapp.services.webhook_events import new_message_id
from eventsapp.transactions import Mode

log = logging.getLogger(__name__)

BATCH_SIZE = 50
# Deliveries one pass tries at most, so a burst of registrations cannot hold up the mail.
PASS_LIMIT = 1000
FAN_OUT_BATCH = 500
# After the first attempt: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (Standard Webhooks'
# suggested schedule), then the delivery fails and the endpoint is paused.
RETRY_AFTER = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
]
MAX_ATTEMPTS = len(RETRY_AFTER) + 1
# How long organisers can see a settled delivery and its tries (and press "Send again").
HISTORY = timedelta(days=30)
USER_AGENT = "BackPainWebinars-Webhooks/1"


def fan_out(now: datetime) -> int:
    """One delivery per (event, endpoint that chose it, of a host); returns deliveries made."""
    events = db.session.scalars(
        select(WebhookEvent)
        .order_by(WebhookEvent.id)
        .limit(FAN_OUT_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    if not events:
        return 0
    hosts: dict[int, set[int]] = defaultdict(set)
    for webinar_id, organisation_id in db.session.execute(
        select(webinar_hosts.c.webinar_id, webinar_hosts.c.organisation_id).where(
            webinar_hosts.c.webinar_id.in_({event.webinar_id for event in events})
        )
    ):
        hosts[webinar_id].add(organisation_id)
    endpoints = db.session.scalars(select(WebhookEndpoint)).all()
    rows = [
        {
            "endpoint_id": endpoint.id,
            "message_id": new_message_id(),
            "type": event.type,
            "webinar_id": event.webinar_id,
            "registration_id": event.registration_id,
            "detail": event.detail,
            "occurred_at": event.occurred_at,
            "status": DeliveryStatus.QUEUED,
            "attempts": 0,
            "due_at": now,
        }
        for event in events
        for endpoint in endpoints
        if endpoint.organisation_id in hosts[event.webinar_id] and event.type in endpoint.events
    ]
    if rows:
        db.session.execute(insert(WebhookDelivery.__table__), rows)
    db.session.execute(
        delete(WebhookEvent).where(WebhookEvent.id.in_([event.id for event in events]))
    )
    db.session.commit()
    return len(rows)


@dataclass(frozen=True)
class Prepared:
    """A claimed delivery, ready to post (read before any network call)."""

    delivery_id: int
    endpoint_id: int
    attempts: int
    url: str
    secret: str
    message_id: str
    body: str


def body(delivery: WebhookDelivery, now: datetime) -> str:
    """The JSON body: Standard Webhooks' {type, timestamp, data}, from the data as it is now."""
    event = WebhookEventType(delivery.type)
    endpoint = delivery.endpoint
    data: dict[str, object]
    if event is WebhookEventType.TEST:
        data = {
            "organisation": endpoint.organisation.name,
            "message": "A test event: your endpoint and its secret work.",
        }
    else:
        webinar = db.session.get(Webinar, delivery.webinar_id)
        assert webinar is not None  # deleting a webinar deletes its deliveries
        data = {"webinar": records.webinar_record(webinar, webinars.availability(webinar, now))}
        if event.about_registration:
            registration = db.session.get(Registration, delivery.registration_id)
            assert registration is not None  # likewise
            data["registration"] = records.registration_record(
                registration, endpoint.organisation_id, include_health=endpoint.include_health
            )
        if delivery.detail.get("changes"):
            data["changes"] = delivery.detail["changes"]
    payload = {"type": event.value, "timestamp": records.utc(delivery.occurred_at), "data": data}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def claim(now: datetime, owner: str, limit: int, lease_seconds: int) -> list[int]:
    return leases.claim(
        WebhookDelivery,
        now,
        owner,
        limit,
        lease_seconds,
        WebhookEndpoint.paused_at.is_(None),
        joins=(WebhookEndpoint,),
    )


def prepare(ids: list[int], owner: str, now: datetime) -> list[Prepared]:
    with transactions.begin_mode(Mode.READ):
        deliveries = db.session.scalars(leases.held(WebhookDelivery, ids, owner)).all()
        items = [
            Prepared(
                d.id,
                d.endpoint_id,
                d.attempts,
                d.endpoint.url,
                d.endpoint.secret,
                d.message_id,
                body(d, now),
            )
            for d in deliveries
        ]
        db.session.rollback()
    return items


def send(item: Prepared, allow_local: bool, timeout: float) -> tuple[int | None, str]:
    """POST once, signed; (HTTP status or None, why it failed in words or "")."""
    sent_at = datetime.now(UTC)  # the signature's time is the real time of sending
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": item.message_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": Webhook(item.secret).sign(item.message_id, sent_at, item.body),
    }
    try:
        answer = safe_post.post(
            item.url,
            item.body.encode(),
            headers,
            allow_local=allow_local,
            timeout=timeout,
        )
    except safe_post.Refused as exc:
        return None, str(exc)
    except TimeoutError:
        return None, "No answer in time"
    except (OSError, HTTPError) as exc:
        return None, _network_error(exc)
    if 200 <= answer.status < 300:
        return answer.status, ""
    return answer.status, f"Answered {answer.status}: a 2xx status means received"


def _network_error(exc: Exception) -> str:
    text = type(exc).__name__
    if "Timeout" in text:
        return "No answer in time"
    if "SSL" in text or "Certificate" in text:
        return "The secure connection failed (check the certificate)"
    return "Could not connect"


def record(
    item: Prepared, owner: str, status: int | None, error: str, now: datetime, ms: int
) -> bool:
    """Write the attempt and the outcome; True if delivered."""
    attempts = item.attempts + 1
    db.session.execute(
        insert(WebhookAttempt.__table__),
        {
            "delivery_id": item.delivery_id,
            "attempted_at": now,
            "status_code": status,
            "error": error[:200],
            "duration_ms": ms,
        },
    )
    if not error:
        leases.settle(
            WebhookDelivery,
            item.delivery_id,
            owner,
            DeliveryStatus.DELIVERED,
            attempts=attempts,
            delivered_at=now,
        )
    elif attempts < MAX_ATTEMPTS:
        leases.settle(
            WebhookDelivery,
            item.delivery_id,
            owner,
            DeliveryStatus.QUEUED,
            attempts=attempts,
            due_at=now + RETRY_AFTER[attempts - 1],
        )
    else:
        leases.settle(
            WebhookDelivery, item.delivery_id, owner, DeliveryStatus.FAILED, attempts=attempts
        )
        pause(item.endpoint_id, now, "Deliveries failed for about a day", notify=True)
    db.session.commit()
    return not error


def pause(endpoint_id: int, now: datetime, reason: str, *, notify: bool) -> None:
    """Hold the endpoint's deliveries; emailing its organisation's organisers if `notify`."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.paused_at is not None:
        return
    endpoint.paused_at, endpoint.paused_reason = now, reason
    if notify:
        outbox.notify_organisers(
            EmailKind.WEBHOOK_PAUSED,
            [endpoint.organisation_id],
            None,
            now,
            endpoint=endpoint.id,
            url=endpoint.url,
            reason=reason,
        )


def run(now: datetime) -> int:
    """The sweep: fan out new events, then deliver what is due. Returns deliveries made."""
    cfg = current_app.config
    started = time.monotonic()

    def clock() -> datetime:
        return now + timedelta(seconds=time.monotonic() - started)

    leases.reap(WebhookDelivery, now)
    db.session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_([DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]),
            WebhookDelivery.occurred_at < now - HISTORY,
        )
    )
    db.session.commit()
    while fan_out(clock()):
        pass
    owner = secrets.token_hex(8)
    delivered = tried = 0
    # Endpoints that did not answer this pass: the rest of their deliveries wait for the
    # next pass untried, so one system that is down cannot hold up the others (or the mail).
    unreachable: set[int] = set()
    while tried < PASS_LIMIT:
        ids = claim(clock(), owner, BATCH_SIZE, cfg["OUTBOX_LEASE_SECONDS"])
        if not ids:
            break
        tried += len(ids)
        waiting: list[int] = []
        for item in prepare(ids, owner, clock()):
            if item.endpoint_id in unreachable:
                waiting.append(item.delivery_id)
                continue
            began = time.monotonic()
            status, error = send(item, cfg["WEBHOOK_ALLOW_LOCAL"], cfg["WEBHOOK_TIMEOUT_SECONDS"])
            ms = int((time.monotonic() - began) * 1000)
            delivered += record(item, owner, status, error, clock(), ms)
            if status is None:
                unreachable.add(item.endpoint_id)
        leases.release(WebhookDelivery, owner, waiting, clock() + RETRY_AFTER[0])
    return delivered
