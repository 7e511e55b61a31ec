"""Reading webinars for the public site, and whether one takes registrations."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload, selectinload

from eventsapp.extensions import db
from eventsapp.models import PanelMember, Webinar, WebinarStatus

_LONGEST_WEBINAR = timedelta(hours=24)


class Availability(StrEnum):
    OPEN = "open"  # seats left
    WAITLIST = "waitlist"  # full; new registrations join the waiting list
    FULL = "full"  # full, no waiting list
    CLOSED = "closed"  # organisers closed registration, or its closing time passed
    PAST = "past"
    CANCELLED = "cancelled"
    DRAFT = "draft"

    @property
    def accepts_registrations(self) -> bool:
        return self in (Availability.OPEN, Availability.WAITLIST)


def availability(webinar: Webinar, now: datetime) -> Availability:
    if webinar.status == WebinarStatus.DRAFT:
        return Availability.DRAFT
    if webinar.status == WebinarStatus.CANCELLED:
        return Availability.CANCELLED
    if now >= webinar.ends_at:
        return Availability.PAST
    closes = webinar.registration_closes_at
    if not webinar.registration_open or (closes is not None and now >= closes):
        return Availability.CLOSED
    if webinar.seats_left > 0:
        return Availability.OPEN
    return Availability.WAITLIST if webinar.waitlist_enabled else Availability.FULL


_PUBLIC_STATUSES = (WebinarStatus.PUBLISHED, WebinarStatus.CANCELLED)


def _public_query():  # type: ignore[no-untyped-def]
    return (
        select(Webinar)
        .where(Webinar.status.in_(_PUBLIC_STATUSES))
        .options(
            selectinload(Webinar.hosts),
            selectinload(Webinar.panel).joinedload(PanelMember.speaker),
        )
    )


def upcoming(now: datetime) -> list[Webinar]:
    """Published (and cancelled, so people see the news) webinars that have not ended."""
    # Durations are under a day, so this bounds the scan; ends_at is exact.
    rows = db.session.scalars(
        _public_query()
        .where(Webinar.starts_at > now - _LONGEST_WEBINAR)
        .order_by(Webinar.starts_at)
    ).all()
    return [w for w in rows if w.ends_at > now]


def past(now: datetime) -> list[Webinar]:
    rows = db.session.scalars(
        _public_query()
        .where(Webinar.status == WebinarStatus.PUBLISHED, Webinar.starts_at < now)
        .order_by(Webinar.starts_at.desc())
    ).all()
    return [w for w in rows if w.ends_at <= now]


def published_for_feed() -> list[Webinar]:
    return list(db.session.scalars(_public_query().order_by(Webinar.starts_at)).all())


# Built once: the statements every public page view and registration runs.
_PUBLIC_BY_SLUG = select(Webinar).where(
    Webinar.slug == bindparam("slug"), Webinar.status.in_(_PUBLIC_STATUSES)
)
_PUBLIC_WITH_HOSTS = _PUBLIC_BY_SLUG.options(joinedload(Webinar.hosts))


def public_by_slug(slug: str, *, with_hosts: bool = False) -> Webinar | None:
    """A webinar the public may see: never a draft. Its hosts (with_hosts: in the same
    query) and panel load when first used, so a view that finds its page kept reads one row."""
    statement = _PUBLIC_WITH_HOSTS if with_hosts else _PUBLIC_BY_SLUG
    return db.session.scalars(statement, {"slug": slug}).unique().one_or_none()
