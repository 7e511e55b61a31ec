"""Outgoing webhooks, as a partner's system and its organisers see them: signed events of
their own webinars only, delivered once through outages, pause, resume, test, send again,
and addresses that may not be posted to."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select
from standardwebhooks.webhooks import Webhook

from eventsapp import safe_post
from eventsapp.extensions import db
from eventsapp.models import (
    DeliveryStatus,
    Registration,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    Webinar,
)
from eventsapp.services import registration as registrations
from eventsapp.services import tokens
from eventsapp.webhooks.worker import RETRY_AFTER
from tests.platform_support import run
from tests.support import (
    create_user,
    create_webinar,
    csrf_token,
    edit_form,
    login,
    organisation,
    post,
    register_via,
    wait_until,
    writing,
)
from tests.webhook_receiver import Receiver

ALL_EVENTS = [
    "registration.created",
    "registration.cancelled",
    "registration.promoted",
    "attendance.recorded",
    "webinar.published",
    "webinar.changed",
    "webinar.cancelled",
]


@pytest.fixture
def receiver(any_app: Flask) -> Iterator[Receiver]:
    any_app.config["WEBHOOK_ALLOW_LOCAL"] = True  # the receiver is on loopback, over http
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


def _organiser(client, org: str = "charity", admin: bool = False) -> None:  # type: ignore[no-untyped-def]
    email = f"{'ada' if admin else 'ruth'}@{org}.example.org"
    create_user(email, org=org, admin=admin)
    login(client, email)


def _add_endpoint(client, receiver: Receiver, org: str = "charity", **form: object) -> int:  # type: ignore[no-untyped-def]
    """Add a webhook through the organiser page; keep the secret it shows once."""
    org_id = organisation(org).id
    data = {"address": receiver.url, "events": ALL_EVENTS, **form}
    page = post(client, f"/organiser/organisations/{org_id}/webhooks", **data)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "You will not see this secret again" in text, text
    receiver.secret = re.search(r"whsec_[A-Za-z0-9+/=]+", text).group(0)
    db.session.rollback()
    return db.session.scalars(
        select(WebhookEndpoint.id).order_by(WebhookEndpoint.id.desc())
    ).first()


def _deliver(app: Flask, at: datetime | None = None) -> None:
    report = run(app, at)
    assert report.failed == 0  # the mail went out


def _registration(email: str) -> Registration:
    db.session.rollback()
    return db.session.scalars(
        select(Registration).where(Registration.email_normalised == email)
    ).one()


def test_an_organisation_gets_signed_events_of_its_own_webinars_with_only_its_own_opt_ins(
    any_ctx, receiver, smtp
):
    clinic_only = create_webinar(slug="clinic-only", hosts=("clinic",))
    shared = create_webinar(slug="shared")
    charity = organisation("charity")
    clinic = organisation("clinic")
    client = any_ctx.test_client()
    _organiser(client)
    _add_endpoint(client, receiver)

    visitor = any_ctx.test_client()
    register_via(visitor, clinic_only.slug, email="ann@example.com")
    register_via(visitor, shared.slug, email="bob@example.com", marketing=[str(clinic.id)])
    register_via(visitor, shared.slug, email="cy@example.com", marketing=[str(charity.id)])
    _deliver(any_ctx)

    created = receiver.received("registration.created")
    assert len(created) == 2  # nothing of the clinic's own webinar
    assert all(m.verified for m in created), "signature fails the specification's algorithm"
    for message in created:  # and the reference library agrees
        Webhook(receiver.secret).verify(message.body, message.headers)
    people = {m.payload["data"]["registration"]["email"]: m.payload["data"] for m in created}
    assert set(people) == {"bob@example.com", "cy@example.com"}
    assert people["bob@example.com"]["registration"]["marketing_opt_in"] is False  # the clinic's
    assert people["cy@example.com"]["registration"]["marketing_opt_in"] is True
    assert people["cy@example.com"]["webinar"]["slug"] == "shared"
    record = people["cy@example.com"]["registration"]
    assert "access_needs" not in record and "question_for_panel" not in record  # no health
    assert created[0].headers["content-type"] == "application/json"


def test_health_details_go_only_to_an_endpoint_an_admin_made_to_include_them(
    any_ctx, receiver, smtp
):
    webinar = create_webinar()
    organiser = any_ctx.test_client()
    _organiser(organiser)
    _add_endpoint(organiser, receiver, include_health="y")  # ignored: not an admin
    assert db.session.scalars(select(WebhookEndpoint.include_health)).one() is False
    assert "Only an administrator can add them" in organiser.get(
        f"/organiser/organisations/{organisation('charity').id}/webhooks"
    ).get_data(as_text=True)

    admin = any_ctx.test_client()
    _organiser(admin, admin=True)
    second = Receiver().start()
    try:
        _add_endpoint(admin, second, include_health="y")
        register_via(any_ctx.test_client(), webinar.slug, access_needs="Live captions, please")
        _deliver(any_ctx)
        without = receiver.received("registration.created")[0].payload["data"]["registration"]
        with_health = second.received("registration.created")[0].payload["data"]["registration"]
    finally:
        second.stop()
    assert "access_needs" not in without
    assert with_health["access_needs"] == "Live captions, please"
    assert with_health["question_for_panel"].startswith("Can I drive")


def test_a_receiver_down_for_the_whole_run_gets_every_event_once_after_it_returns(
    any_ctx, receiver, smtp
):
    starts = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    webinar = create_webinar(capacity=1, starts_at=starts)
    form_webinar_id, slug = webinar.id, webinar.slug
    client = any_ctx.test_client()
    _organiser(client)
    endpoint_id = _add_endpoint(client, receiver)
    receiver.stop()  # down from here on: nothing listens on its port

    visitor = any_ctx.test_client()
    register_via(visitor, slug, email="first@example.com")
    register_via(visitor, slug, email="second@example.com")  # the waiting list
    first_id = _registration("first@example.com").id
    webinar = db.session.get(Webinar, form_webinar_id)
    form = edit_form(webinar, title="New title")
    with writing():
        registrations.cancel(db.session.get(Registration, first_id), datetime.now(UTC))
    post(client, f"/organiser/webinars/{form_webinar_id}/edit", **form)

    # The worker's passes, each at the time the next delivery falls due, until it gives up.
    start = at = datetime.now(UTC)
    _deliver(any_ctx, at)
    while db.session.get(WebhookEndpoint, endpoint_id).paused_at is None:
        due = db.session.scalar(
            select(func.min(WebhookDelivery.due_at)).where(
                WebhookDelivery.status == DeliveryStatus.QUEUED
            )
        )
        at = max(at, due) + timedelta(seconds=1)
        assert at - start < timedelta(hours=30), "never paused"
        _deliver(any_ctx, at)
        db.session.rollback()
    assert at - start > timedelta(hours=27)  # it kept trying for about a day
    deliveries = db.session.scalars(select(WebhookDelivery)).all()
    assert Counter(d.type for d in deliveries) == {
        "registration.created": 2,
        "registration.cancelled": 1,
        "registration.promoted": 1,
        "webinar.changed": 1,
    }
    # One try a pass while it does not answer (the rest wait untried, so a system that is
    # down holds nothing else up); the first to run out of tries pauses the endpoint.
    failed = [d for d in deliveries if d.status == DeliveryStatus.FAILED]
    assert len(failed) == 1 and failed[0].attempts == len(RETRY_AFTER) + 1
    tries_before_pause = len(db.session.scalars(select(WebhookAttempt)).all())
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    assert endpoint.paused_at is not None
    at += timedelta(minutes=1)
    _deliver(any_ctx, at)  # the email about it
    paused = [m for m in smtp.messages if "Webhook paused" in m.message["Subject"]]
    assert [m.rcpt_tos for m in paused] == [["ruth@charity.example.org"]]
    page = client.get(f"/organiser/organisations/{endpoint.organisation_id}/webhooks/{endpoint_id}")
    text = page.get_data(as_text=True)
    assert "Paused since" in text and "Could not connect" in text

    # Events while paused are kept, not tried.
    register_via(visitor, slug, email="third@example.com")
    _deliver(any_ctx, at)
    tried = db.session.scalars(select(WebhookAttempt)).all()
    assert len(tried) == tries_before_pause  # nothing was tried while paused

    receiver.start()  # back, on the same address
    response = post(
        client, f"/organiser/organisations/{endpoint.organisation_id}/webhooks/{endpoint_id}/resume"
    )
    assert response.status_code == 302
    _deliver(any_ctx, at)
    messages = receiver.received()
    assert all(m.verified for m in messages)
    assert len({m.id for m in messages}) == len(messages) == 6  # each event once
    assert Counter(m.type for m in messages) == {
        "registration.created": 3,
        "registration.cancelled": 1,
        "registration.promoted": 1,
        "webinar.changed": 1,
    }
    changed = receiver.received("webinar.changed")[0].payload["data"]
    assert changed["changes"] == ["title"] and changed["webinar"]["title"] == "New title"


def test_a_failed_try_is_retried_with_the_same_message_id(any_ctx, receiver, smtp):
    webinar = create_webinar()
    client = any_ctx.test_client()
    _organiser(client)
    _add_endpoint(client, receiver)
    receiver.status = 503
    register_via(any_ctx.test_client(), webinar.slug)
    at = datetime.now(UTC)
    _deliver(any_ctx, at)
    receiver.status = 200
    _deliver(any_ctx, at + timedelta(seconds=2))  # not due yet: nothing more
    assert len(receiver.received()) == 1
    # The retry is due RETRY_AFTER[0] after the failed try (the sweep's clock moves on while
    # it works, so allow for a slow first pass on a busy machine).
    _deliver(any_ctx, at + RETRY_AFTER[0] + timedelta(seconds=30))
    first, second = receiver.received()
    assert first.id == second.id and first.body == second.body
    db.session.rollback()
    attempts = db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.id)).all()
    assert [a.status_code for a in attempts] == [503, 200]


def test_webinar_events_follow_publishing_changes_and_cancelling(any_ctx, receiver, smtp):
    draft = create_webinar(status="draft", hosts=("charity",))
    client = any_ctx.test_client()
    create_user("reviewer@charity.example.org", org="charity", reviewer=True)
    login(client, "reviewer@charity.example.org")
    _add_endpoint(client, receiver)
    base = f"/organiser/webinars/{draft.id}"
    post(client, f"{base}/edit", **edit_form(draft, title="Before publishing"))  # a draft: quiet
    post(client, f"{base}/approve")
    assert post(client, f"{base}/publish").status_code == 302
    post(client, f"{base}/edit", **edit_form(draft, title="Sleep and pain", capacity="80"))
    post(client, f"{base}/cancel", message="Sorry: the panel is unwell.")
    _deliver(any_ctx)
    messages = receiver.received()
    assert [m.type for m in messages] == [
        "webinar.published",
        "webinar.changed",
        "webinar.cancelled",
    ]
    changed = messages[1].payload["data"]
    assert changed["changes"] == ["title", "capacity"]
    assert messages[2].payload["data"]["webinar"]["availability"] == "cancelled"


def test_send_a_test_event_and_send_again(any_ctx, receiver, smtp):
    create_webinar()
    client = any_ctx.test_client()
    _organiser(client)
    endpoint_id = _add_endpoint(client, receiver)
    base = f"/organiser/organisations/{organisation('charity').id}/webhooks/{endpoint_id}"
    post(client, f"{base}/test")
    _deliver(any_ctx)
    (test,) = receiver.received("webhook.test")
    assert test.verified and test.payload["data"]["organisation"] == "BackWell UK"
    delivery_id = db.session.scalars(select(WebhookDelivery.id)).one()
    page = client.get(base).get_data(as_text=True)
    assert "webhook.test" in page and "200" in page
    post(client, f"{base}/deliveries/{delivery_id}/again")
    _deliver(any_ctx)
    first, again = receiver.received("webhook.test")
    assert first.id == again.id  # a repeat the receiver can recognise


def test_another_organisations_webhooks_are_not_found(any_ctx, receiver):
    create_webinar()
    charity = any_ctx.test_client()
    _organiser(charity)
    endpoint_id = _add_endpoint(charity, receiver)
    clinic = any_ctx.test_client()
    _organiser(clinic, org="clinic")
    charity_id = organisation("charity").id
    assert clinic.get(f"/organiser/organisations/{charity_id}/webhooks").status_code == 404
    assert (
        clinic.get(f"/organiser/organisations/{charity_id}/webhooks/{endpoint_id}").status_code
        == 404
    )
    clinic_id = organisation("clinic").id
    assert (
        clinic.get(f"/organiser/organisations/{clinic_id}/webhooks/{endpoint_id}").status_code
        == 404
    )
    response = post(clinic, f"/organiser/organisations/{clinic_id}/webhooks/{endpoint_id}/test")
    assert response.status_code == 404


def test_addresses_that_may_not_be_posted_to_are_refused(any_ctx, receiver, smtp):
    any_ctx.config["WEBHOOK_ALLOW_LOCAL"] = False  # as in production
    create_webinar()
    client = any_ctx.test_client()
    _organiser(client)
    org_id = organisation("charity").id
    page = post(
        client,
        f"/organiser/organisations/{org_id}/webhooks",
        address=receiver.url,
        events=ALL_EVENTS,
    )
    assert page.status_code == 400
    assert "must start with https://" in page.get_data(as_text=True)
    assert db.session.scalars(select(WebhookEndpoint)).all() == []

    # An https address whose name resolves to loopback: refused when sending, each time.
    local = f"https://localhost:{receiver.port}/hooks"
    page = post(
        client, f"/organiser/organisations/{org_id}/webhooks", address=local, events=ALL_EVENTS
    )
    assert page.status_code == 200
    endpoint_id = db.session.scalars(select(WebhookEndpoint.id)).one()
    post(client, f"/organiser/organisations/{org_id}/webhooks/{endpoint_id}/test")
    _deliver(any_ctx)
    assert receiver.received() == []
    attempt = db.session.scalars(select(WebhookAttempt)).one()
    assert attempt.error == "Refused: the host name points to a private or local address"
    for address in (
        "127.0.0.1",
        "10.1.2.3",
        "169.254.169.254",
        "::1",
        "::ffff:127.0.0.1",
        "100.64.0.1",
    ):
        with pytest.raises(safe_post.Refused):
            safe_post.resolve(address, 443, allow_local=False)


def test_redirects_are_not_followed(any_ctx, receiver, smtp):
    create_webinar()
    client = any_ctx.test_client()
    _organiser(client)
    endpoint_id = _add_endpoint(client, receiver)
    receiver.status = 302
    post(
        client, f"/organiser/organisations/{organisation('charity').id}/webhooks/{endpoint_id}/test"
    )
    _deliver(any_ctx)
    assert len(receiver.received()) == 1  # the Location was not visited
    attempt = db.session.scalars(select(WebhookAttempt)).one()
    assert attempt.status_code == 302 and "2xx" in attempt.error


def test_erased_details_never_leave(any_ctx, receiver, smtp):
    webinar = create_webinar()
    client = any_ctx.test_client()
    _organiser(client)
    _add_endpoint(client, receiver)
    receiver.stop()
    register_via(any_ctx.test_client(), webinar.slug, email="gone@example.com")
    registration = _registration("gone@example.com")
    token = tokens.manage_token(registration)
    visitor = any_ctx.test_client()
    page = visitor.get(f"/manage/{token}/delete")
    visitor.post(
        f"/manage/{token}/delete", data={"csrf_token": csrf_token(page.get_data(as_text=True))}
    )
    receiver.start()
    _deliver(any_ctx)
    wait_until(lambda: receiver.received("registration.created"))
    (message,) = receiver.received("registration.created")
    record = message.payload["data"]["registration"]
    assert record["erased"] is True and record["email"] is None and record["name"] is None
    assert "gone@example.com" not in message.body.decode()
