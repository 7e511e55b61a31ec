"""Helpers the Zoom and Teams stories share (tests/test_zoom.py, tests/test_teams.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TypeVar

from flask import Flask
from sqlalchemy import select

from eventsapp import uktime
from eventsapp.extensions import db
from eventsapp.mail import worker
from eventsapp.models import PlatformJob, PlatformJobKind, Registration
from eventsapp.platforms import api_client
from tests.fake_platform import FakePlatform

F = TypeVar("F", bound=FakePlatform)


def serving(fake: F, app: Flask) -> Iterator[F]:
    """Start the fake, point the app at it with no token held, stop it afterwards."""
    fake.start()
    app.config.update(fake.config())  # type: ignore[attr-defined]
    api_client.forget_tokens()
    yield fake
    fake.stop()


def person(email: str) -> Registration:
    db.session.rollback()
    return db.session.scalars(
        select(Registration).where(Registration.email_normalised == email)
    ).one()


def jobs(kind: PlatformJobKind | None = None) -> list[PlatformJob]:
    db.session.rollback()
    query = select(PlatformJob).order_by(PlatformJob.id)
    if kind is not None:
        query = query.where(PlatformJob.kind == kind)
    return list(db.session.scalars(query))


def run(app: Flask, at: datetime | None = None) -> worker.BatchReport:
    with app.app_context():
        return worker.run_once(clock=(lambda: at) if at else uktime.utcnow)
