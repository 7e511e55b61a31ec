"""Who may manage what: admins everything; organisers the webinars their organisation hosts.

Every organiser query goes through here, so a webinar of the other organisation is simply
not found (a 404 at the edge), never shown and then refused.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import Select, select

from eventsapp.extensions import db
from eventsapp.models import User, Webinar, webinar_hosts
from eventsapp.services.errors import DomainError


def manageable_webinars(user: User) -> Select[tuple[Webinar]]:
    query = select(Webinar)
    if not user.is_admin:
        query = query.where(
            Webinar.id.in_(
                select(webinar_hosts.c.webinar_id).where(
                    webinar_hosts.c.organisation_id == user.organisation_id
                )
            )
        )
    return query


def webinar_for(user: User, webinar_id: int) -> Webinar | None:
    return db.session.scalars(
        manageable_webinars(user).where(Webinar.id == webinar_id)
    ).one_or_none()


class _HasWebinar(Protocol):
    webinar_id: Any


M = TypeVar("M", bound=_HasWebinar)


def row_of(webinar: Webinar, model: type[M], row_id: int, error: DomainError) -> M:
    """A row that belongs to this webinar (a registration, an email, a report), or `error`.

    Organiser routes take the webinar from the URL and a row id beside it; checking the row
    against the webinar the user may manage is what stops reaching into another's.
    """
    row = db.session.get(model, row_id)
    if row is None or row.webinar_id != webinar.id:
        raise error
    return row
