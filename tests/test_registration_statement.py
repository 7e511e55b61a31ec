"""On PostgreSQL a new address registers in one statement: it must write exactly what the
general way writes, and leave every other case to the general way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import MarketingConsent, OutboxMessage, Registration
from eventsapp.services import registration as registrations
from tests.support import create_webinar, csrf_token, register_via, registration_form, statements

# Differ between any two registrations, whichever way they were made.
_OWN = {"id", "email", "email_normalised", "full_name", "created_at", "status_changed_at"}
_OWN |= {"consent_given_at", "token_salt", "manage_token_hash", "join_salt", "join_token_hash"}


def _row(registration: Registration) -> dict[str, Any]:
    columns = Registration.__table__.columns
    return {c.name: getattr(registration, c.key) for c in columns if c.name not in _OWN}


def _consents(registration: Registration) -> list[tuple[int, bool, str]]:
    rows = db.session.scalars(
        select(MarketingConsent)
        .where(MarketingConsent.registration_id == registration.id)
        .order_by(MarketingConsent.organisation_id)
    )
    return [(c.organisation_id, c.given, c.notice_version) for c in rows]


def _email(registration: Registration) -> tuple[str, str, str, str]:
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.registration_id == registration.id)
    ).one()
    return (
        message.kind,
        message.dedupe_key.replace(f"reg{registration.id}:", "regID:"),
        message.status,
        str(message.context),
    )


def _by_email(email: str) -> Registration:
    return db.session.scalars(select(Registration).where(Registration.email == email)).one()


def test_one_statement_writes_what_the_general_way_writes(pg_app, smtp):
    client = pg_app.test_client()
    with pg_app.app_context():
        webinar = create_webinar(slug="panel", capacity=2)
        chosen = webinar.hosts[1].id
        general = registrations.register(
            webinar,
            registrations.RegistrationInput(
                "Gen Eral",
                "general@example.com",
                audience="living_with_pain",
                question="Can I drive if I am prescribed cannabis oil?",
                access_needs="Live captions, please",
                marketing_organisation_ids=frozenset({chosen}),
            ),
            datetime.now(UTC),
        ).registration
        db.session.commit()
        with statements() as sent:
            response = register_via(
                client, "panel", email="quick@example.com", marketing=[str(chosen)]
            )
        assert response.status_code == 303
        assert len([s for s in sent if "INSERT INTO registrations" in s]) == 1
        quick = _by_email("quick@example.com")
        assert _row(quick) == _row(general)
        assert _consents(quick) == _consents(general)
        assert _email(quick) == _email(general)
        assert webinar.seats_taken == 2

        # Full now: the next one waits, and is told so.
        assert register_via(client, "panel", email="third@example.com").status_code == 303
        assert _by_email("third@example.com").status == "waitlisted"
        assert _email(_by_email("third@example.com"))[:2] == ("waitlisted", "waitlisted:regID:v1")

        # The emails render and go like any other.
        assert worker.run_once().sent == 3
        assert len(smtp.to("quick@example.com")) == 1


def test_every_other_case_goes_the_general_way(pg_app):
    client = pg_app.test_client()
    with pg_app.app_context():
        create_webinar(slug="panel", capacity=2, waitlist_enabled=False)
        token = csrf_token(client.get("/webinars/panel").get_data(as_text=True))

        def post(email: str) -> int:
            form = registration_form(email=email, csrf_token=token)
            return client.post("/webinars/panel", data=form).status_code

        assert post("ann@example.com") == 303
        # Registered already: the same answer, an email to the owner, nothing else changes.
        assert post("ANN@example.com") == 303
        kinds = db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
        assert kinds == ["confirmation", "already_registered"]
        # Full, no waiting list: refused, nothing saved.
        assert post("bob@example.com") == 303
        assert post("carl@example.com") == 409
        emails = db.session.scalars(select(Registration.email).order_by(Registration.id)).all()
        assert emails == ["ann@example.com", "bob@example.com"]
        # After cancelling, registering again renews the same registration.
        ann = _by_email("ann@example.com")
        registrations.cancel(ann, datetime.now(UTC))
        db.session.commit()
        assert post("ann@example.com") == 303
        db.session.refresh(ann)
        assert (ann.status, ann.version) == ("confirmed", 3)
