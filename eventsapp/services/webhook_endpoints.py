"""An organisation's webhook endpoints: add, change, pause, resume, test, send again.

Every change is audited (ids and event names, never the secret). Sending is the worker's
(eventsapp/webhooks/worker.py): a test event or a "send again" is a queued delivery.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select, update

from eventsapp import safe_post
from eventsapp.extensions import db
from eventsapp.models import (
    DeliveryStatus,
    Organisation,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)
from eventsapp.services import audit
from eventsapp.services.errors import DomainError
from eventsapp.services.webhook_events import new_message_id

RECENT_DELIVERIES = 50


class WebhookError(DomainError):
    pass


@dataclass(frozen=True)
class EndpointInput:
    url: str
    description: str
    events: list[str]
    include_health: bool


def _audit(
    action: str, endpoint: WebhookEndpoint, actor: User, now: datetime, **details: object
) -> None:
    audit.record(
        action,
        actor=actor,
        now=now,
        organisation=endpoint.organisation_id,
        endpoint=endpoint.id,
        **details,
    )


def new_secret() -> str:
    """Standard Webhooks: "whsec_" and the base64 of 24 to 64 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _checked(data: EndpointInput) -> list[str]:
    url = data.url.strip()
    try:
        safe_post.check_url(url, allow_local=current_app.config["WEBHOOK_ALLOW_LOCAL"])
    except safe_post.Refused as exc:
        raise WebhookError(str(exc), "address") from exc
    if len(url) > 2000:
        raise WebhookError("The address is too long", "address")
    chosen = [e.value for e in WebhookEventType.choosable() if e.value in data.events]
    if not chosen:
        raise WebhookError("Choose at least one event", "events")
    return chosen


def endpoints(organisation: Organisation) -> list[WebhookEndpoint]:
    return list(
        db.session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.organisation_id == organisation.id)
            .order_by(WebhookEndpoint.id)
        )
    )


def endpoint_in(organisation: Organisation, endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.organisation_id != organisation.id:
        raise LookupError(endpoint_id)
    return endpoint


def recent_deliveries(endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    return list(
        db.session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(RECENT_DELIVERIES)
        )
    )


def create(
    organisation: Organisation, data: EndpointInput, actor: User, now: datetime
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it and its secret (shown once)."""
    events = _checked(data)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        organisation_id=organisation.id,
        url=data.url.strip(),
        description=data.description.strip()[:200],
        events=events,
        secret=secret,
        include_health=data.include_health,
        paused_reason="",
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(endpoint)
    db.session.flush()
    _audit(
        "webhook.created", endpoint, actor, now, events=events, include_health=data.include_health
    )
    return endpoint, secret


def update_endpoint(
    endpoint: WebhookEndpoint, data: EndpointInput, actor: User, now: datetime
) -> None:
    events = _checked(data)
    endpoint.url = data.url.strip()
    endpoint.description = data.description.strip()[:200]
    endpoint.events = events
    endpoint.include_health = data.include_health
    _audit(
        "webhook.changed", endpoint, actor, now, events=events, include_health=data.include_health
    )


def remove(endpoint: WebhookEndpoint, actor: User, now: datetime) -> None:
    _audit("webhook.removed", endpoint, actor, now)
    db.session.delete(endpoint)


def pause(endpoint: WebhookEndpoint, actor: User, now: datetime) -> None:
    if endpoint.paused_at is not None:
        return
    endpoint.paused_at, endpoint.paused_reason = now, f"Paused by {actor.name}"
    _audit("webhook.paused", endpoint, actor, now)


def resume(endpoint: WebhookEndpoint, actor: User, now: datetime) -> int:
    """Deliver again: what waited is due now, and what failed while it was down is queued
    again (same message ids, so receivers can tell a repeat). Returns how many failed ones."""
    endpoint.paused_at, endpoint.paused_reason = None, ""
    requeued = db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.FAILED,
        )
        .values(status=DeliveryStatus.QUEUED, attempts=0, due_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.status == DeliveryStatus.QUEUED,
            WebhookDelivery.due_at > now,
        )
        .values(due_at=now)
        .execution_options(synchronize_session=False)
    )
    _audit("webhook.resumed", endpoint, actor, now, requeued=requeued)
    return requeued


def send_test(endpoint: WebhookEndpoint, actor: User, now: datetime) -> None:
    db.session.add(
        WebhookDelivery(
            endpoint_id=endpoint.id,
            message_id=new_message_id(),
            type=WebhookEventType.TEST,
            detail={},
            occurred_at=now,
            status=DeliveryStatus.QUEUED,
            attempts=0,
            due_at=now,
        )
    )
    _audit("webhook.test_sent", endpoint, actor, now)


def send_again(endpoint: WebhookEndpoint, delivery_id: int, actor: User, now: datetime) -> None:
    """Queue a delivery again now (same message id), unless it is being sent right now."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise LookupError(delivery_id)
    if delivery.status == DeliveryStatus.SENDING:
        raise WebhookError("It is being sent right now: look again in a minute")
    delivery.status, delivery.attempts, delivery.due_at = DeliveryStatus.QUEUED, 0, now
    _audit("webhook.sent_again", endpoint, actor, now, delivery=delivery.id)
