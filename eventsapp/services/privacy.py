"""UK GDPR in practice: erasing a registrant's details, and the retention sweep.

Erasing keeps the registration row (so counts for reports stay right) and removes what
identifies the person or reveals their health: name, email, audience, question, access
needs, marketing choices, feedback comments, certificates, and queued emails to them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from eventsapp.extensions import db
from eventsapp.models import (
    Certificate,
    FeedbackResponse,
    MarketingConsent,
    OutboxMessage,
    Registration,
    User,
    Webinar,
)
from eventsapp.services import audit
from eventsapp.services import registration as registrations

ERASED_NAME = "(details deleted)"


def erase(registration: Registration, now: datetime) -> None:
    """Remove the person's details from this registration (idempotent)."""
    if registration.erased_at is not None:
        return
    reg_id = registration.id
    registration.full_name = ERASED_NAME
    registration.email = registration.email_normalised = f"erased-{reg_id}@invalid"
    registration.audience = None
    registration.question = ""
    registration.access_needs = ""
    registration.manage_token_hash = None
    registration.join_token_hash = None
    registration.erased_at = now
    db.session.execute(delete(MarketingConsent).where(MarketingConsent.registration_id == reg_id))
    db.session.execute(delete(Certificate).where(Certificate.registration_id == reg_id))
    db.session.execute(
        update(FeedbackResponse)
        .where(FeedbackResponse.registration_id == reg_id)
        .values(comments="")
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.registration_id == reg_id)
        .values(recipient="erased@invalid", context={}, subject=None)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.registration_id == reg_id, OutboxMessage.status == "queued")
        .values(status="skipped")
    )


def erase_on_request(registration: Registration, now: datetime) -> None:
    """The registrant's own request: give up any place quietly, then erase."""
    webinar = registration.webinar
    if registration.status != "cancelled":
        registrations.cancel(registration, now, notify=False)
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
    candidates = db.session.scalars(
        select(Registration)
        .join(Webinar, Webinar.id == Registration.webinar_id)
        .where(Registration.erased_at.is_(None), Webinar.starts_at < cutoff)
    ).all()
    erased = 0
    for registration in candidates:
        if registration.webinar.ends_at < cutoff:
            erase(registration, now)
            erased += 1
    if erased:
        audit.record("retention.applied", actor=actor, now=now, registrations=erased, days=days)
    return erased
