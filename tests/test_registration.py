"""Registering, the waiting list, the manage link and cancelling, through the pages."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import itsdangerous.timed
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import MarketingConsent, OutboxMessage, Registration, Webinar
from eventsapp.services import privacy_notices, tokens
from eventsapp.services import registration as registrations
from eventsapp.uktime import format_date as uk_date
from tests.support import create_webinar, csrf_token, register_via, registration_form


def _without_csrf(html: str) -> str:
    """CSRF tokens carry a timestamp; everything else must match byte for byte."""
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", html)


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def _outbox(kind: str | None = None) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def test_registering_confirms_a_place_and_queues_the_confirmation(client, ctx, app):
    webinar = create_webinar(capacity=5)
    response = register_via(client, webinar.slug, marketing=[str(webinar.hosts[1].id)])
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Check your email" in page and "confirming your place" in page

    reg = db.session.scalars(select(Registration)).one()
    assert reg.status == "confirmed"
    assert (reg.full_name, reg.email, reg.audience) == (
        "Ann Example",
        "ann@example.com",
        "living_with_pain",
    )
    assert reg.question == "Can I drive if I am prescribed cannabis oil?"
    assert reg.access_needs == "Live captions, please"
    assert reg.consent_notice_version == privacy_notices.current().version
    assert datetime.now(UTC) - reg.consent_given_at < timedelta(minutes=1)
    assert db.session.get(Webinar, webinar.id).seats_taken == 1
    choices = {c.organisation.slug: c.given for c in db.session.scalars(select(MarketingConsent))}
    assert choices == {"clinic": False, "charity": True}
    (row,) = _outbox()
    assert (row.kind, row.recipient, row.status) == ("confirmation", "ann@example.com", "queued")


def test_missing_fields_show_an_error_summary_and_save_nothing(client, ctx):
    webinar = create_webinar()
    response = register_via(client, webinar.slug, full_name="", email="not-an-email", consent=None)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in html
    assert '<a href="#full_name">Enter your full name</a>' in html
    assert '<a href="#email">Enter an email address in the correct format' in html
    assert '<a href="#consent">Tick the box to agree' in html
    assert 'aria-invalid="true"' in html
    assert "Error: " in html.split("<title>")[1]
    assert _count(Registration) == 0 and _count(OutboxMessage) == 0
    assert db.session.get(Webinar, webinar.id).seats_taken == 0


def test_a_question_over_1000_characters_is_refused(client, ctx):
    webinar = create_webinar()
    response = register_via(client, webinar.slug, question="x" * 1001)
    assert response.status_code == 400
    assert "Your question must be 1,000 characters or fewer" in response.get_data(as_text=True)
    assert _count(Registration) == 0


def test_form_without_csrf_token_is_refused(client, ctx):
    webinar = create_webinar()
    response = client.post(f"/webinars/{webinar.slug}", data=registration_form())
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)
    assert _count(Registration) == 0


def test_oversized_body_is_refused(client, ctx):
    webinar = create_webinar()
    page = client.get(f"/webinars/{webinar.slug}").get_data(as_text=True)
    data = registration_form(access_needs="x" * 200_000, csrf_token=csrf_token(page))
    response = client.post(f"/webinars/{webinar.slug}", data=data)
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert _count(Registration) == 0


def test_registering_again_creates_nothing_and_reveals_nothing(client, ctx):
    webinar = create_webinar()
    first = register_via(client, webinar.slug)
    second = register_via(
        client, webinar.slug, email="  ANN@Example.COM ", full_name="Someone Else"
    )
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(Registration) == 1
    assert db.session.scalars(select(Registration)).one().full_name == "Ann Example"
    assert db.session.get(Webinar, webinar.id).seats_taken == 1
    # The owner learns what they hold, by email; at most one such email an hour.
    register_via(client, webinar.slug, email="ann@example.com")
    assert [r.kind for r in _outbox()] == ["confirmation", "already_registered"]


def test_when_full_people_join_the_waiting_list_and_are_told_plainly(client, ctx):
    webinar = create_webinar(capacity=1)
    register_via(client, webinar.slug, email="first@example.com")
    response = register_via(client, webinar.slug, email="second@example.com")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "waiting list" in page
    statuses = dict(db.session.execute(select(Registration.email, Registration.status)).all())
    assert statuses == {"first@example.com": "confirmed", "second@example.com": "waitlisted"}
    assert [r.kind for r in _outbox()] == ["confirmation", "waitlisted"]
    assert "Join the waiting list" in client.get(f"/webinars/{webinar.slug}").get_data(as_text=True)


def test_full_without_waiting_list_gets_a_clear_message(client, ctx):
    webinar = create_webinar(capacity=1, waitlist_enabled=False)
    register_via(client, webinar.slug, email="first@example.com")
    page = client.get(f"/webinars/{webinar.slug}").get_data(as_text=True)
    assert "Fully booked" in page and 'name="full_name"' not in page
    # A form opened before the last seat went, submitted after.
    create_webinar(slug="other")
    token = csrf_token(client.get("/webinars/other").get_data(as_text=True))
    response = client.post(
        f"/webinars/{webinar.slug}",
        data=registration_form(email="second@example.com", csrf_token=token),
    )
    assert response.status_code == 409
    assert "fully booked" in response.get_data(as_text=True)
    # The one person who holds a seat trying again gets exactly the same answer.
    again = client.post(
        f"/webinars/{webinar.slug}",
        data=registration_form(email="first@example.com", csrf_token=token),
    )
    assert again.status_code == response.status_code
    assert _without_csrf(again.get_data(as_text=True)) == _without_csrf(
        response.get_data(as_text=True)
    )
    assert _count(Registration) == 1


def test_closed_past_and_cancelled_webinars_refuse_registrations(client, ctx):
    now = datetime.now(UTC)
    open_one = create_webinar(slug="open")
    token = csrf_token(client.get("/webinars/open").get_data(as_text=True))
    create_webinar(slug="closed", registration_closes_at=now - timedelta(minutes=1))
    create_webinar(slug="past", starts_at=now - timedelta(hours=3))
    create_webinar(slug="cancelled", status="cancelled")
    create_webinar(slug="draft", status="draft")
    expected = {
        "closed": "registration for this webinar has closed",
        "past": "already finished",
        "cancelled": "has been cancelled",
    }
    for slug, message in expected.items():
        response = client.post(f"/webinars/{slug}", data=registration_form(csrf_token=token))
        assert response.status_code == 409, slug
        assert message in response.get_data(as_text=True), slug
    assert (
        client.post("/webinars/draft", data=registration_form(csrf_token=token)).status_code == 404
    )
    assert _count(Registration) == 0
    assert open_one.id


def _manage_url_for(reg: Registration) -> str:
    return f"/manage/{tokens.manage_token(reg)}"


def test_manage_link_shows_the_registration_and_cancelling_frees_the_seat(client, ctx):
    webinar = create_webinar(capacity=1)
    register_via(client, webinar.slug, email="first@example.com")
    register_via(client, webinar.slug, email="waiting@example.com", full_name="Wendy Waiting")
    first = db.session.scalars(
        select(Registration).where(Registration.email == "first@example.com")
    ).one()
    url = _manage_url_for(first)
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Your place is confirmed" in html and "first@example.com" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"

    confirm = client.get(f"{url}/cancel").get_data(as_text=True)
    assert "Are you sure you want to cancel?" in confirm
    # A GET never cancels.
    assert db.session.get(Registration, first.id).status == "confirmed"

    response = client.post(f"{url}/cancel", data={"csrf_token": csrf_token(confirm)})
    assert response.status_code == 303
    assert "Your registration is cancelled" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    db.session.expire_all()
    statuses = dict(db.session.execute(select(Registration.email, Registration.status)).all())
    assert statuses == {"first@example.com": "cancelled", "waiting@example.com": "confirmed"}
    assert db.session.get(Webinar, webinar.id).seats_taken == 1
    kinds = [(r.kind, r.recipient, r.context) for r in _outbox()][2:]
    assert kinds == [
        ("registration_cancelled", "first@example.com", {"had_seat": True, "by": "registrant"}),
        ("confirmation", "waiting@example.com", {"promoted": True}),
    ]
    # The link still works: it says what happened, offers to register again (the waiting
    # list is open) and to delete the details — and is a 404 only once they are deleted.
    after = client.get(url).get_data(as_text=True)
    assert f"You cancelled your place on {uk_date(datetime.now(UTC))}" in after
    assert "Register again" in after and "Cancel my registration" not in after
    again = client.get(f"{url}/cancel")  # an old "cancel" link: nothing left to cancel
    assert again.status_code == 303 and again.headers["Location"].endswith(url)
    delete = client.get(f"{url}/delete").get_data(as_text=True)
    assert client.post(f"{url}/delete", data={"csrf_token": csrf_token(delete)}).status_code == 303
    assert client.get(url).status_code == 404
    assert client.post(f"{url}/cancel", data={"csrf_token": csrf_token(confirm)}).status_code == 404


def test_cancel_without_csrf_token_changes_nothing(client, ctx):
    webinar = create_webinar()
    register_via(client, webinar.slug)
    reg = db.session.scalars(select(Registration)).one()
    assert client.post(f"{_manage_url_for(reg)}/cancel").status_code == 400
    db.session.expire_all()
    assert db.session.get(Registration, reg.id).status == "confirmed"


def test_bad_tokens_get_a_404_that_reveals_nothing(client, ctx):
    for token in ("nope", "a" * 43, "../../etc/passwd", "%00"):
        response = client.get(f"/manage/{token}")
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)


def test_registering_again_after_cancelling_renews_the_registration(any_ctx):
    client = any_ctx.test_client()
    webinar = create_webinar(capacity=3)
    register_via(client, webinar.slug, marketing=[webinar.hosts[0].id])
    reg = db.session.scalars(select(Registration)).one()
    given = {c.organisation_id: c.given for c in reg.marketing_consents}
    assert given == {webinar.hosts[0].id: True, webinar.hosts[1].id: False}
    old_link = tokens.manage_token(reg)
    registrations.cancel(reg, datetime.now(UTC))
    db.session.commit()
    assert db.session.get(Webinar, webinar.id).seats_taken == 0
    response = register_via(client, webinar.slug, full_name="Ann Again")
    assert response.status_code == 303
    db.session.expire_all()
    again = db.session.scalars(select(Registration)).one()
    assert (again.id, again.status, again.full_name) == (reg.id, "confirmed", "Ann Again")
    # Their new invite must outrank the CANCEL their calendar received.
    assert again.ical_sequence_offset == 2
    assert db.session.get(Webinar, webinar.id).seats_taken == 1
    # Cancelling revoked nothing: the link from the first email is still theirs, and shows
    # the renewed registration.
    assert tokens.manage_token(again) == old_link
    page = client.get(f"/manage/{old_link}")
    assert page.status_code == 200 and "Ann Again" in page.get_data(as_text=True)
    # The marketing choices are the new form's (none ticked), one per host, not added to.
    consents = db.session.scalars(select(MarketingConsent)).all()
    assert sorted((c.organisation_id, c.given) for c in consents) == sorted(
        (host.id, False) for host in webinar.hosts
    )
    kinds = [m.kind for m in _outbox()]
    assert kinds == ["confirmation", "registration_cancelled", "confirmation"]


def test_a_form_left_open_for_days_still_registers(client, ctx, monkeypatch):
    """Forms never time out: someone may fill it in slowly, or come back to the tab later."""
    create_webinar(slug="panel")
    page = client.get("/webinars/panel").get_data(as_text=True)
    later = time.time() + 3 * 24 * 3600
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)  # the clock moves on
    response = client.post(
        "/webinars/panel", data={**registration_form(), "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    assert db.session.scalars(select(Registration)).one().email == "ann@example.com"


def test_links_issued_before_the_link_format_changed_keep_working(app, client, ctx, smtp):
    """Manage and join links used to be derived from the registration's id as well as its
    salt; those already in people's inboxes open their pages, and later emails (reminders,
    changes) carry the very same links."""
    webinar = create_webinar()
    register_via(client, webinar.slug)
    reg = db.session.scalars(select(Registration)).one()
    secret = app.config["SECRET_KEY"]
    old_manage = tokens.derive(secret, tokens.Purpose.MANAGE, reg.id, reg.token_salt)
    old_join = tokens.derive(secret, tokens.Purpose.JOIN, reg.id, reg.join_salt)
    reg.manage_token_hash, reg.join_token_hash = tokens.digest(old_manage), tokens.digest(old_join)
    db.session.commit()

    assert "Your registration" in client.get(f"/manage/{old_manage}").get_data(as_text=True)
    assert client.get(f"/join/{old_join}").status_code == 200
    with app.app_context():
        worker.run_once()
    (sent,) = smtp.to("ann@example.com")
    text = sent.message.get_body(preferencelist=("plain",)).get_content()
    assert f"/manage/{old_manage}" in text and f"/join/{old_join}" in text


def test_the_cancel_page_mentions_the_waiting_list_only_when_someone_is_waiting(client, ctx):
    webinar = create_webinar(capacity=1)
    register_via(client, webinar.slug, email="ann@example.com")
    ann = db.session.scalars(select(Registration)).one()
    cancel_page = f"/manage/{tokens.manage_token(ann)}/cancel"
    alone = client.get(cancel_page).get_data(as_text=True)
    assert "Are you sure you want to cancel?" in alone and "waiting list" not in alone
    register_via(client, webinar.slug, email="ben@example.com")  # full: Ben waits
    assert "offered to the next person on the waiting list" in client.get(cancel_page).get_data(
        as_text=True
    )
