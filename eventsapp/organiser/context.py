"""What every organiser view needs: the actor, the clock, the webinar they may manage."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar, cast

from flask import Response, abort, flash
from flask_login import current_user
from flask_wtf import FlaskForm

from eventsapp.extensions import db
from eventsapp.models import User, Webinar
from eventsapp.services import access, audit
from eventsapp.services.errors import DomainError
from eventsapp.uktime import utcnow


def actor() -> User:
    return cast(User, current_user._get_current_object())  # type: ignore[attr-defined]


def now() -> datetime:
    return utcnow()


def webinar_or_404(webinar_id: int) -> Webinar:
    """Another organisation's webinar is not found, exactly like one that does not exist."""
    webinar = access.webinar_for(actor(), webinar_id)
    if webinar is None:
        abort(404)
    return webinar


def require_admin() -> User:
    user = actor()
    if not user.is_admin:
        abort(404)
    return user


def apply(change: Callable[[], object], done: str | None = None) -> bool:
    """Run one domain change as the request's transaction.

    Commit and flash `done`; or, if the domain refuses, roll back and flash why.
    """
    try:
        change()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return False
    db.session.commit()
    if done:
        flash(done)
    return True


def show_on_form(form: FlaskForm, exc: DomainError, default: str) -> None:
    """Put the domain's message under the field it names (DomainError.field)."""
    getattr(form, exc.field or default, getattr(form, default)).errors.append(str(exc))


T = TypeVar("T")


def audited_read(action: str, build: Callable[[], T], **details: Any) -> T:
    """Build a page or export, then record who saw it and commit.

    In this order because a commit expires every loaded row: building afterwards would
    reload each row with a query of its own.
    """
    result = build()
    audit.record(action, actor=actor(), now=now(), **details)
    db.session.commit()
    return result


def csv_download(body: str, filename: str) -> Response:
    # The byte-order mark makes Excel read UTF-8 ("Siobhán", not "SiobhÃ¡n").
    return Response(
        "\ufeff" + body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
