"""Reading webinars for the public site, and whether one takes registrations."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import bindparam, event, select
from sqlalchemy.orm import selectinload

from eventsapp import change_feed, sqlite
from eventsapp.extensions import db
from eventsapp.models import Organisation, PanelMember, Speaker, Webinar
from eventsapp.models.aggregates import json_row, json_rows
from eventsapp.models.webinar import SeatsAndEnd, webinar_hosts

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


def availability(webinar: Webinar | RegistrationTarget, now: datetime) -> Availability:
    if webinar.status == "draft":
        return Availability.DRAFT
    if webinar.status == "cancelled":
        return Availability.CANCELLED
    if now >= webinar.ends_at:
        return Availability.PAST
    closes = webinar.registration_closes_at
    if not webinar.registration_open or (closes is not None and now >= closes):
        return Availability.CLOSED
    if webinar.seats_left > 0:
        return Availability.OPEN
    return Availability.WAITLIST if webinar.waitlist_enabled else Availability.FULL


_PUBLIC_STATUSES = ("published", "cancelled")


_TARGET_COLUMNS = (
    "id",
    "slug",
    "status",
    "starts_at",
    "duration_minutes",
    "registration_open",
    "registration_closes_at",
    "capacity",
    "seats_taken",
    "waitlist_enabled",
)
_webinars = Webinar.__table__
_organisations = Organisation.__table__
_panel = PanelMember.__table__
_speakers = Speaker.__table__
# Built once: one Core statement over tables (no ORM entities), the cheapest to run. The
# webinar's row with its hosts and panel folded into two JSON texts, each host and panel
# member once (a join would repeat the description for every panellist).
_HOSTS_JSON = (
    select(
        json_rows(
            _organisations.c.id,
            _organisations.c.name,
            _organisations.c.website,
            _organisations.c.marketing_description,
        )
    )
    .join(webinar_hosts, webinar_hosts.c.organisation_id == _organisations.c.id)
    .where(webinar_hosts.c.webinar_id == _webinars.c.id)
    .scalar_subquery()
)
_PANEL_JSON = (
    select(
        json_rows(
            _panel.c.id,
            _panel.c.role,
            _panel.c.position,
            _speakers.c.id,
            _speakers.c.name,
            _speakers.c.professional_title,
            _speakers.c.organisation,
            _speakers.c.bio,
            _speakers.c.photo_filename,
        )
    )
    .join(_speakers, _speakers.c.id == _panel.c.speaker_id)
    .where(_panel.c.webinar_id == _webinars.c.id)
    .scalar_subquery()
)
# What availability() needs as typed values; the rest of the row (what the page shows) as
# text. The seat count is not in the text: it is put into the page per request.
_PAGE = select(
    *(_webinars.c[name] for name in _TARGET_COLUMNS),
    json_row(*(c for c in _webinars.c if c.name != "seats_taken")).label("webinar"),
    _HOSTS_JSON.label("hosts"),
    _PANEL_JSON.label("panel"),
).where(_webinars.c.slug == bindparam("slug"), _webinars.c.status.in_(_PUBLIC_STATUSES))


@dataclass(frozen=True)
class PageVersion:
    key: bytes  # the same for two page views exactly when they show the same page…
    seats_left: int  # …but for the number of places left, which is put in per view


def page_version(slug: str, now: datetime) -> PageVersion | None:
    """Everything the public webinar page shows, and its availability now; None if not public.

    Two equal keys render the same page, so a rendered page can be reused while the key
    stays the same: any change to what the page shows (a bio edited, the webinar becoming
    full, the closing time passing) changes it. The places left are not in the key, so
    registrations do not make every next visitor's page a fresh render.

    What the key is made from is read from the database once, then kept while the change
    feed (eventsapp/change_feed.py) reports nothing that could change it; a new seat count
    from the feed is put in without reading. Availability depends on the time, so it is
    worked out on every call.
    """
    data = _page_data(slug)
    if data is None:
        return None
    state = availability(data.target, now)
    return PageVersion(data.content + state.value.encode(), data.target.seats_left)


@dataclass(frozen=True)
class _PageData:
    target: RegistrationTarget
    content: bytes  # a digest of what the page shows but the seat count


def _read_page_data(slug: str) -> _PageData | None:
    """One query returning a plain row (no ORM objects): the webinar, its hosts, its panel
    with the speakers. (Hosts or panellists listed in another order only make a new key:
    a cache miss.)"""
    # A connection of its own, not the ORM session: nothing here needs the session's
    # bookkeeping. Read-only work whatever the request (sqlite.py, postgres.py): a POST that
    # reads this before its writes must not take SQLite's write lock for it.
    with sqlite.begin_mode(sqlite.DEFERRED), db.engine.connect() as connection:
        row = connection.execute(_PAGE, {"slug": slug}).first()
    if row is None:
        return None
    values = row._mapping
    shown = (values["webinar"], values["hosts"], values["panel"])
    hosts = sorted(json.loads(values["hosts"] or "[]"))  # [id, name, website, description]
    return _PageData(
        RegistrationTarget.from_values(values, tuple(Host(h[0], h[1], h[3]) for h in hosts)),
        # A digest, not the row: small to keep as a key.
        hashlib.sha256(repr(shown).encode()).digest(),
    )


_MISSING = object()
_MAX_KEPT = 256


class _PageDataMemo:
    """Page data by slug, as last read, kept in step with the change feed; one per app.

    `generation` counts the batches of changes applied: data read while a change arrived
    (another thread polled in between) is not kept, as it may predate that change.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0
        self.by_slug: dict[str, _PageData | None] = {}

    def apply(self, changes: list[change_feed.Change]) -> None:
        if not changes:
            return
        self.generation += 1
        for change in changes:
            if isinstance(change, change_feed.SeatsTaken):
                self._seats_taken(change)
            else:
                self.by_slug.clear()
                return  # anything after it finds nothing to update

    def _seats_taken(self, change: change_feed.SeatsTaken) -> None:
        for slug, data in self.by_slug.items():
            if data is not None and data.target.id == change.webinar_id:
                target = replace(data.target, seats_taken=change.taken)
                self.by_slug[slug] = replace(data, target=target)
                return


def _memo() -> _PageDataMemo:
    memo: _PageDataMemo | None = current_app.extensions.get("page_data")
    if memo is None:  # not setdefault(): that would build one on every call
        memo = current_app.extensions["page_data"] = _PageDataMemo()
    return memo


# In Session.info for the current transaction: the changes to public pages declared by the
# code that wrote them (register() declares a seat count), and whether ORM objects were
# flushed, which may have changed anything.
_DECLARED = "public_page_changes"
_FLUSHED = "public_page_objects_flushed"


def declare_page_changes(changes: list[change_feed.Change]) -> None:
    """What the current transaction changes on public pages, for this process's own copy
    of their data (see _after_own_commit). Only for code whose writes are all Core
    statements it can describe completely; without a declaration a commit may have changed
    anything."""
    db.session.info.setdefault(_DECLARED, []).extend(changes)


def committed_page_changes(changes: list[change_feed.Change]) -> None:
    """Changes to public pages committed by this process outside the session (see
    declare_page_changes): applied to its kept page data at once."""
    memo = _memo()
    with memo.lock:
        memo.apply(changes)


@event.listens_for(db.session, "after_flush")
def _objects_flushed(session: Any, _context: Any) -> None:
    if session.new or session.dirty or session.deleted:
        session.info[_FLUSHED] = True


@event.listens_for(db.session, "after_commit")
def _after_own_commit(session: Any) -> None:
    """This process's own writes show on its next page at once. The feed would tell it too,
    but on PostgreSQL a notice arrives a moment after the commit, and the visitor who just
    registered, or the organiser who just saved, may ask for the page sooner than that."""
    declared = session.info.pop(_DECLARED, None)
    if session.info.pop(_FLUSHED, False) or declared is None:
        declared = [change_feed.ANYTHING]
    if has_app_context():
        committed_page_changes(declared)


@event.listens_for(db.session, "after_rollback")
def _after_own_rollback(session: Any) -> None:
    session.info.pop(_DECLARED, None)
    session.info.pop(_FLUSHED, None)


def _kept(slug: str) -> tuple[object, int | None]:
    """What is kept for `slug` once the feed's changes are applied (_MISSING if nothing),
    and the generation to keep a fresh read under (None: keep nothing, the feed cannot tell)."""
    memo = _memo()
    changes = change_feed.poll()
    with memo.lock:
        if changes is None:
            memo.generation += 1
            memo.by_slug.clear()
            return _MISSING, None
        memo.apply(changes)
        return memo.by_slug.get(slug, _MISSING), memo.generation


def _page_data(slug: str) -> _PageData | None:
    kept, generation = _kept(slug)
    if kept is not _MISSING:
        return kept  # type: ignore[return-value]
    data = _read_page_data(slug)
    memo = _memo()
    with memo.lock:
        if generation is not None and memo.generation == generation:
            if len(memo.by_slug) >= _MAX_KEPT:
                memo.by_slug.clear()
            memo.by_slug[slug] = data
    return data


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
        .where(Webinar.status == "published", Webinar.starts_at < now)
        .order_by(Webinar.starts_at.desc())
    ).all()
    return [w for w in rows if w.ends_at <= now]


def published_for_feed() -> list[Webinar]:
    return list(db.session.scalars(_public_query().order_by(Webinar.starts_at)).all())


def public_by_slug(slug: str) -> Webinar | None:
    """A webinar the public may see: never a draft."""
    return db.session.scalars(_public_query().where(Webinar.slug == slug)).one_or_none()


@dataclass(frozen=True)
class Host:
    id: int
    name: str
    marketing_description: str | None


@dataclass(frozen=True)
class RegistrationTarget(SeatsAndEnd):
    """What registering needs to know about a webinar, as plain values.

    A snapshot, not a live ORM object: the registration POST reads it, ends that read
    and validates the form before the write transaction begins, so SQLite's single write
    lock is held for the writes alone. Seats are still decided by the conditional UPDATE.
    """

    id: int
    slug: str
    status: str
    starts_at: datetime
    duration_minutes: int
    registration_open: bool
    registration_closes_at: datetime | None
    capacity: int
    seats_taken: int
    waitlist_enabled: bool
    hosts: tuple[Host, ...]

    @classmethod
    def of(cls, webinar: Webinar) -> RegistrationTarget:
        return cls.from_values(
            {name: getattr(webinar, name) for name in _TARGET_COLUMNS},
            tuple(Host(o.id, o.name, o.marketing_description) for o in webinar.hosts),
        )

    @classmethod
    def from_values(cls, values: Mapping[str, Any], hosts: tuple[Host, ...]) -> RegistrationTarget:
        """From anything holding the webinar's columns by name (a row's mapping, a dict)."""
        return cls(**{name: values[name] for name in _TARGET_COLUMNS}, hosts=hosts)


def registration_target(slug: str) -> RegistrationTarget | None:
    """A public webinar, as registering needs it; None if there is none by that slug.

    The page's data (see page_version), kept while the change feed reports no change: a
    visitor who opened the page moments ago then costs the database nothing here. Seats are
    decided by the conditional UPDATE, not by this.
    """
    data = _page_data(slug)
    return None if data is None else data.target
