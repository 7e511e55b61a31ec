"""UK GDPR in practice: erasing a registrant's details, and the retention sweep.

Erasing keeps the registration row (so counts for reports stay right) and removes what
identifies the person or reveals their health: name, email, audience, question, access
needs, marketing choices, feedback comments, certificates, and queued emails to them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import String, cast, delete, literal, select, update
from sqlalchemy.orm import joinedload, selectinload

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
    if registration.erased_at is None:
        _erase([registration.id], now)
        db.session.expire(registration)


def _erase(ids: list[int], now: datetime) -> None:
    """Erase many registrations in a fixed number of statements, however many they are."""
    if not ids:
        return
    # Unique per row, as the webinar-and-address constraint needs.
    erased_address = literal("erased-") + cast(Registration.id, String) + literal("@invalid")
    db.session.execute(
        update(Registration)
        .where(Registration.id.in_(ids), Registration.erased_at.is_(None))
        .values(
            full_name=ERASED_NAME,
            email=erased_address,
            email_normalised=erased_address,
            audience=None,
            question="",
            access_needs="",
            manage_token_hash=None,
            join_token_hash=None,
            erased_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.execute(delete(MarketingConsent).where(MarketingConsent.registration_id.in_(ids)))
    db.session.execute(delete(Certificate).where(Certificate.registration_id.in_(ids)))
    db.session.execute(
        update(FeedbackResponse)
        .where(FeedbackResponse.registration_id.in_(ids))
        .values(comments="")
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.registration_id.in_(ids))
        .values(recipient="erased@invalid", context={}, subject=None)
    )
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.registration_id.in_(ids), OutboxMessage.status == "queued")
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
    # starts_at bounds the scan; the end (start + duration) is exact, so it is checked here.
    rows = db.session.execute(
        select(Registration.id, Webinar.starts_at, Webinar.duration_minutes)
        .join(Webinar, Webinar.id == Registration.webinar_id)
        .where(Registration.erased_at.is_(None), Webinar.starts_at < cutoff)
    ).all()
    ids = [r.id for r in rows if r.starts_at + timedelta(minutes=r.duration_minutes) < cutoff]
    _erase(ids, now)
    erased = len(ids)
    if erased:
        audit.record("retention.applied", actor=actor, now=now, registrations=erased, days=days)
    return erased


def find_by_email(email: str) -> list[Registration]:
    """Every registration held for an address (subject access), newest first."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.email_normalised == email.strip().lower())
            .order_by(Registration.created_at.desc())
            .options(
                joinedload(Registration.webinar),
                selectinload(Registration.marketing_consents).joinedload(
                    MarketingConsent.organisation
                ),
            )
        )
    )


def export(registrations_: list[Registration]) -> dict[str, object]:
    """What we hold, as JSON-ready data for a subject access request."""
    ids = [reg.id for reg in registrations_]
    # Two queries for all of them, not two per registration.
    emails_of: dict[int, list[OutboxMessage]] = defaultdict(list)
    for message in db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.registration_id.in_(ids))
        .order_by(OutboxMessage.id)
    ):
        emails_of[message.registration_id].append(message)
    feedback_of = {
        f.registration_id: f
        for f in db.session.scalars(
            select(FeedbackResponse).where(FeedbackResponse.registration_id.in_(ids))
        )
    }
    items = []
    for reg in registrations_:
        webinar = reg.webinar
        emails = emails_of[reg.id]
        feedback = feedback_of.get(reg.id)
        items.append(
            {
                "webinar": webinar.title,
                "webinar_starts_at": webinar.starts_at.isoformat(),
                "name": reg.full_name,
                "email": reg.email,
                "status": reg.status,
                "registered_at": reg.created_at.isoformat(),
                "i_am": reg.audience,
                "question": reg.question,
                "accessibility_needs": reg.access_needs,
                "consent": {
                    "given_at": reg.consent_given_at.isoformat(),
                    "privacy_notice_version": reg.consent_notice_version,
                },
                "marketing": {c.organisation.name: c.given for c in reg.marketing_consents},
                "joined_link_clicks": reg.join_clicks,
                "feedback": None
                if feedback is None
                else {
                    "overall": feedback.overall,
                    "usefulness": feedback.usefulness,
                    "would_recommend": feedback.would_recommend,
                    "comments": feedback.comments,
                },
                "emails": [
                    {
                        "kind": m.kind,
                        "status": m.status,
                        "sent_at": m.sent_at.isoformat() if m.sent_at else None,
                    }
                    for m in emails
                ],
            }
        )
    return {"registrations": items}


def erase_all(email: str, actor: User, now: datetime) -> int:
    """An erasure request by email: every registration, places given up without email."""
    found = find_by_email(email)
    for registration in found:
        if registration.status != "cancelled":
            registrations.cancel(registration, now, notify=False)
    _erase([registration.id for registration in found if registration.erased_at is None], now)
    db.session.expire_all()
    audit.record("subject.erased", actor=actor, now=now, registrations=len(found))
    return len(found)
