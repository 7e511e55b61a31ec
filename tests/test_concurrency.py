"""No seat is sold twice: concurrent registrations over real connections, on each database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import OutboxMessage, Registration, Webinar
from eventsapp.services import registration as registrations
from tests.support import LiveServer, create_webinar, csrf_token, registration_form


def _register_concurrently(server: LiveServer, slug: str, count: int) -> list[int]:
    """`count` visitors each open the page, then all submit at the same moment."""
    barrier = threading.Barrier(count, timeout=60)

    def visitor(n: int) -> int:
        with requests.Session() as session:
            page = session.get(f"{server.url}/webinars/{slug}", timeout=60)
            data = registration_form(email=f"visitor{n}@example.com", full_name=f"Visitor {n}")
            data["csrf_token"] = csrf_token(page.text)
            barrier.wait()
            response = session.post(
                f"{server.url}/webinars/{slug}", data=data, timeout=120, allow_redirects=False
            )
            return response.status_code

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(visitor, range(count)))


def _statuses(app: Flask, webinar_id: int) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Registration.status, func.count())
            .where(Registration.webinar_id == webinar_id)
            .group_by(Registration.status)
        ).all()
        return dict(rows)  # type: ignore[arg-type]


def _seats_taken(app: Flask, webinar_id: int) -> int:
    with app.app_context():
        return db.session.get(Webinar, webinar_id).seats_taken


def _webinar(app: Flask, **kwargs) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with app.app_context():
        webinar = create_webinar(**kwargs)
        return webinar.id, webinar.slug


@pytest.fixture
def server(any_app: Flask) -> Iterator[LiveServer]:
    with LiveServer(any_app) as live:
        yield live


def test_sixty_concurrent_registrations_for_ten_seats(any_app, server):
    webinar_id, slug = _webinar(any_app, capacity=10)
    codes = _register_concurrently(server, slug, 60)
    assert codes == [303] * 60  # none failed (on SQLite: no "database is locked")
    assert _statuses(any_app, webinar_id) == {"confirmed": 10, "waitlisted": 50}
    assert _seats_taken(any_app, webinar_id) == 10
    with any_app.app_context():
        kinds = dict(
            db.session.execute(
                select(OutboxMessage.kind, func.count()).group_by(OutboxMessage.kind)
            ).all()
        )
    assert kinds == {"confirmation": 10, "waitlisted": 50}


def test_thirty_at_once_for_five_seats_without_a_waiting_list(any_app, server):
    webinar_id, slug = _webinar(any_app, capacity=5, waitlist_enabled=False)
    codes = _register_concurrently(server, slug, 30)
    assert sorted(codes) == [303] * 5 + [409] * 25  # the others are told it is full
    assert _statuses(any_app, webinar_id) == {"confirmed": 5}
    assert _seats_taken(any_app, webinar_id) == 5


def test_concurrent_cancellations_promote_different_people(any_app, server):
    webinar_id, slug = _webinar(any_app, capacity=10)
    _register_concurrently(server, slug, 20)
    with any_app.app_context():
        confirmed = db.session.scalars(
            select(Registration.id).where(Registration.status == "confirmed").limit(5)
        ).all()
        first_waiting = db.session.scalars(
            select(Registration.id)
            .where(Registration.status == "waitlisted")
            .order_by(Registration.status_changed_at, Registration.id)
            .limit(5)
        ).all()

    def cancel(reg_id: int) -> None:
        with any_app.app_context():
            registrations.cancel(db.session.get(Registration, reg_id), datetime.now(UTC))
            db.session.commit()

    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(cancel, confirmed))
    assert _statuses(any_app, webinar_id) == {"confirmed": 10, "waitlisted": 5, "cancelled": 5}
    assert _seats_taken(any_app, webinar_id) == 10
    with any_app.app_context():
        promoted = set(
            db.session.scalars(
                select(Registration.id).where(
                    Registration.id.in_(first_waiting), Registration.status == "confirmed"
                )
            )
        )
    assert promoted == set(first_waiting)  # the first five in the queue, no one twice


def test_same_address_twice_at_once_is_one_registration(any_app, server):
    webinar_id, slug = _webinar(any_app, capacity=10)
    barrier = threading.Barrier(8, timeout=60)

    def visitor(_n: int) -> int:
        with requests.Session() as session:
            page = session.get(f"{server.url}/webinars/{slug}", timeout=60)
            data = registration_form(email="twin@example.com", csrf_token=csrf_token(page.text))
            barrier.wait()
            return session.post(
                f"{server.url}/webinars/{slug}",
                data=data,
                allow_redirects=False,
                timeout=60,
            ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(visitor, range(8))) == [303] * 8
    assert _statuses(any_app, webinar_id) == {"confirmed": 1}
    assert _seats_taken(any_app, webinar_id) == 1
