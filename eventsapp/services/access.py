"""Who may manage what: admins everything; organisers the webinars their organisation hosts.

Every organiser query goes through here, so a webinar of the other organisation is simply
not found (a 404 at the edge), never shown and then refused.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from eventsapp.extensions import db
from eventsapp.models import User, Webinar, webinar_hosts


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


def can_manage(user: User, webinar: Webinar) -> bool:
    return user.is_admin or any(org.id == user.organisation_id for org in webinar.hosts)
