"""Registrants: counts, search, export, acting on someone's behalf, emails, audit."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import AuditEvent, OutboxMessage, Registration
from eventsapp.services import registration as registrations
from eventsapp.services import tokens
from tests.support import create_user, create_webinar, csv_rows, login, post


def _registered(webinar, *people, marketing=frozenset()):  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    for name, email, audience in people:
        registrations.register(
            webinar,
            registrations.RegistrationInput(
                name, email, audience=audience, marketing_organisation_ids=marketing
            ),
            now,
        )
    db.session.commit()


def _setup(client, capacity: int = 2):  # type: ignore[no-untyped-def]
    webinar = create_webinar(slug="list", capacity=capacity)
    _registered(
        webinar,
        ("Ann Example", "ann@example.com", "living_with_pain"),
        ("=cmd|' /C calc'!A0", "bob@example.com", "healthcare_professional"),
        ("Cat Waiting", "cat@example.com", None),
    )
    create_user("colin@clinic.example")
    login(client, "colin@clinic.example")
    return webinar


def test_counts_search_and_filters(client, ctx):
    webinar = _setup(client)
    base = f"/organiser/webinars/{webinar.id}/registrants"
    page = client.get(base).get_data(as_text=True)
    for label, number in (("Confirmed", 2), ("Waiting list", 1), ("Cancelled", 0)):
        assert f"<dt>{label}</dt><dd>{number}</dd>" in page
    assert "ann@example.com" in page and "cat@example.com" in page
    found = client.get(base, query_string={"q": "ANN"}).get_data(as_text=True)
    assert "ann@example.com" in found and "bob@example.com" not in found
    waiting = client.get(base, query_string={"status": "waitlisted"}).get_data(as_text=True)
    assert "cat@example.com" in waiting and "ann@example.com" not in waiting
    hcp = client.get(base, query_string={"audience": "healthcare_professional"}).get_data(
        as_text=True
    )
    assert "bob@example.com" in hcp and "ann@example.com" not in hcp
    _registered(
        webinar, ("Nora News", "nora@example.com", None), marketing=frozenset({webinar.hosts[1].id})
    )
    opted = client.get(base, query_string={"marketing": "any"}).get_data(as_text=True)
    assert "nora@example.com" in opted and "ann@example.com" not in opted
    not_opted = client.get(base, query_string={"marketing": "none"}).get_data(as_text=True)
    assert "ann@example.com" in not_opted and "nora@example.com" not in not_opted


def test_csv_export_neutralises_formulas_and_is_audited(client, ctx):
    webinar = _setup(client)
    response = client.get(f"/organiser/webinars/{webinar.id}/registrants.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    rows = csv_rows(response)
    assert rows[0][:3] == ["Name", "Email", "Status"]
    names = [row[0] for row in rows[1:]]
    assert "'=cmd|' /C calc'!A0" in names and "Ann Example" in names
    for row in rows[1:]:
        assert not row[0].startswith(("=", "+", "-", "@"))
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "registrants.exported" in actions


def test_give_a_place_and_cancel_on_someones_behalf(app, client, ctx, smtp):
    webinar = _setup(client)
    regs = {r.email: r.id for r in db.session.scalars(select(Registration))}
    full = post(
        client, f"/organiser/webinars/{webinar.id}/registrants/{regs['cat@example.com']}/promote"
    )
    assert full.status_code == 302
    assert db.session.get(Registration, regs["cat@example.com"]).status == "waitlisted"
    assert "There are no free places" in client.get(full.headers["Location"]).get_data(as_text=True)

    # "Cancel" opens a page that says what will happen; nothing changes until it is confirmed.
    cancel = f"/organiser/webinars/{webinar.id}/registrants/{regs['ann@example.com']}/cancel"
    listing = client.get(f"/organiser/webinars/{webinar.id}/registrants").get_data(as_text=True)
    assert f'href="{cancel}"' in listing
    confirm = client.get(cancel).get_data(as_text=True)
    assert "Cancel the registration of Ann Example?" in confirm
    assert "They will be emailed" in confirm
    assert "Their place goes to the first person on the waiting list" in confirm
    assert db.session.get(Registration, regs["ann@example.com"]).status == "confirmed"
    assert (
        client.get(f"/organiser/webinars/{webinar.id}/registrants/999999/cancel").status_code == 404
    )
    post(client, cancel)
    statuses = dict(db.session.execute(select(Registration.email, Registration.status)).all())
    # Ann is cancelled and told; the freed seat went to Cat, first in the queue.
    assert statuses["ann@example.com"] == "cancelled"
    assert statuses["cat@example.com"] == "confirmed"
    with app.app_context():
        worker.run_once()
    (told,) = smtp.to("ann@example.com")[-1:]
    assert (
        "The organisers have cancelled your registration"
        in told.message.get_body(("plain",)).get_content()
    )


def test_emails_page_resend_and_a_preview_without_personal_links(app, client, ctx, smtp):
    webinar = _setup(client)
    smtp.handler.refuse["bob@example.com"] = "550 5.1.1 No such user"
    with app.app_context():
        worker.run_once()
    page = client.get(f"/organiser/webinars/{webinar.id}/emails").get_data(as_text=True)
    assert "SMTP 550" in page and "Send again" in page
    failed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed")).one()
    preview = client.get(f"/organiser/webinars/{webinar.id}/emails/{failed.id}")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "You are booked" in html
    assert "BEGIN:VCALENDAR" in html
    assert "personal-link-hidden-in-preview" in html
    token = tokens.manage_token(db.session.get(Registration, failed.registration_id))
    assert token not in html

    smtp.handler.refuse.clear()
    post(client, f"/organiser/webinars/{webinar.id}/emails/{failed.id}/resend")
    with app.app_context():
        assert worker.run_once().sent == 1
    assert smtp.to("bob@example.com")
    row = db.session.get(OutboxMessage, failed.id)
    assert row.status == "sent"
    assert smtp.to("bob@example.com")[0].message["Message-ID"] == row.message_id


def test_admin_audit_log_shows_who_viewed_and_exported(client, ctx):
    webinar = _setup(client)
    client.get(f"/organiser/webinars/{webinar.id}/registrants")
    client.get(f"/organiser/webinars/{webinar.id}/registrants.csv")
    post(client, "/organiser/logout")
    create_user("ada@example.org", admin=True)
    login(client, "ada@example.org")
    page = client.get("/organiser/audit", query_string={"webinar": webinar.id}).get_data(
        as_text=True
    )
    assert "registrants.viewed" in page and "registrants.exported" in page
    assert "Colin" in page
    assert "ann@example.com" not in page  # the log holds no registrant's personal data
