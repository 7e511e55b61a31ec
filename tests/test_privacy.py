"""Deleting one's details, and the retention sweep in the worker."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import (
    Attendance,
    AuditEvent,
    MarketingConsent,
    OutboxMessage,
    Registration,
    Webinar,
)
from eventsapp.services import registration as registrations
from tests.support import create_user, create_webinar, csrf_token, login, post, register_via

PERSONAL = ("Ann Example", "ann@example.com", "Can I drive", "Live captions")


def _stored_text() -> str:
    """Everything the database holds about registrants and their emails, as one string."""
    rows = db.session.execute(
        select(
            Registration.full_name,
            Registration.email,
            Registration.question,
            Registration.access_needs,
        )
    ).all()
    mail = db.session.execute(select(OutboxMessage.recipient, OutboxMessage.context)).all()
    return repr(rows) + repr(mail)


def test_a_registrant_deletes_their_details_from_the_manage_page(app, client, ctx, smtp):
    webinar = create_webinar(capacity=1)
    register_via(
        client,
        webinar.slug,
        question="Can I drive on cannabis oil?",
        marketing=[str(webinar.hosts[0].id)],
    )
    register_via(
        client,
        webinar.slug,
        email="next@example.com",
        full_name="Ned Next",
        question="",
        access_needs="",
    )
    ann = db.session.scalars(
        select(Registration).where(Registration.email == "ann@example.com")
    ).one()
    ann_id = ann.id
    manage = f"/manage/{registrations.manage_token(ann)}"
    confirm = client.get(f"{manage}/delete")
    assert "Are you sure you want to delete your details?" in confirm.get_data(as_text=True)
    response = client.post(
        f"{manage}/delete", data={"csrf_token": csrf_token(confirm.get_data(as_text=True))}
    )
    assert "Your details have been deleted" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )

    stored = _stored_text()
    assert [v for v in PERSONAL if v in stored] == []
    ann_consents = (
        select(func.count())
        .select_from(MarketingConsent)
        .where(MarketingConsent.registration_id == ann_id)
    )
    assert db.session.scalar(ann_consents) == 0
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 2  # counts stay
    assert client.get(manage).status_code == 404
    # Her place went to the next person; she is sent nothing more.
    assert (
        db.session.scalars(
            select(Registration.status).where(Registration.email == "next@example.com")
        ).one()
        == "confirmed"
    )
    with app.app_context():
        worker.run_once()
    assert smtp.to("ann@example.com") == []
    assert any(m.rcpt_tos == ["next@example.com"] for m in smtp.messages)


def test_the_worker_erases_details_after_the_retention_period(app, ctx, smtp):
    now = datetime.now(UTC)
    old = create_webinar(slug="old", starts_at=now - timedelta(days=400))
    recent = create_webinar(slug="recent", starts_at=now - timedelta(days=30))
    for webinar in (old, recent):
        reg = registrations.register(
            webinar,
            registrations.RegistrationInput(
                "Ann Example",
                "ann@example.com",
                question="Can I drive",
                access_needs="Live captions",
            ),
            webinar.starts_at - timedelta(days=5),
        ).registration
        db.session.add(Attendance(registration=reg, minutes=40, source="zoom", updated_at=now))
    db.session.commit()
    with app.app_context():
        report = worker.run_once()
    assert report.erased == 1
    rows = dict(
        db.session.execute(select(Webinar.slug, Registration.full_name).join(Webinar)).all()
    )
    assert rows == {"old": "(details deleted)", "recent": "Ann Example"}
    # The old webinar's figures survive: one confirmed, one attended for 40 minutes.
    old_reg = db.session.scalars(
        select(Registration).where(Registration.webinar_id == old.id)
    ).one()
    assert old_reg.status == "confirmed"
    assert (
        db.session.scalars(
            select(Attendance.minutes).where(Attendance.registration_id == old_reg.id)
        ).one()
        == 40
    )
    with app.app_context():
        assert worker.run_once().erased == 0  # idempotent


def test_admins_find_export_and_erase_everything_for_an_address(client, ctx):
    one = create_webinar(slug="one")
    two = create_webinar(slug="two", capacity=1)
    for webinar in (one, two):
        registrations.register(
            webinar,
            registrations.RegistrationInput(
                "Ann Example", "Ann@Example.com", question="Can I drive"
            ),
            datetime.now(UTC),
        )
    db.session.commit()
    create_user("ada@example.org", admin=True)
    login(client, "ada@example.org")
    page = client.get("/organiser/subject-access", query_string={"email": "ann@example.com"})
    assert page.get_data(as_text=True).count("Ann Example") == 2
    export = client.get("/organiser/subject-access.json", query_string={"email": "ann@example.com"})
    data = json.loads(export.data)
    assert len(data["registrations"]) == 2
    assert data["registrations"][0]["question"] == "Can I drive"
    assert data["registrations"][0]["consent"]["privacy_notice_version"]
    post(client, "/organiser/subject-access/erase", email="ann@example.com")
    assert "Ann Example" not in _stored_text()
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"subject.searched", "subject.exported", "subject.erased"} <= set(actions)
    assert all("ann@" not in repr(d) for d in db.session.scalars(select(AuditEvent.details)))
