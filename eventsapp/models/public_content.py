"""A webinar's content_version rises whenever anything its public page shows changes.

The public pages are rendered once per version (public/page_cache.py), so this is what keeps
them from ever being stale. It is derived from the ORM's own record of what each flush
changes, not from the code that changed it: any change to a webinar (but the seats taken,
which pages put in per view), to its hosts, its panel or a panellist's speaker record bumps
the version of every webinar whose page shows it. Seats are taken and given back with Core
UPDATEs that bypass this, on purpose. tests/test_public_pages.py changes every column of
everything the page loads and checks the version rose, so an object newly shown on the
page but missing here fails a test.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from eventsapp.models.form_question import FormQuestion
from eventsapp.models.organisation import Organisation
from eventsapp.models.review import Approval
from eventsapp.models.speaker import PanelMember, Speaker
from eventsapp.models.webinar import Webinar, webinar_hosts

# Changes to these alone leave the page as it was: seats are put in per view.
_NOT_CONTENT = {"seats_taken", "content_version", "updated_at"}


def _webinar_content_changed(webinar: Webinar) -> bool:
    state = inspect(webinar)
    return any(attr.key not in _NOT_CONTENT and attr.history.has_changes() for attr in state.attrs)


def _pages_showing(session: Session, obj: Any) -> Iterable[Webinar]:
    if isinstance(obj, Webinar):
        return [obj] if _webinar_content_changed(obj) else []
    if isinstance(obj, FormQuestion):  # the registration form
        webinar = session.get(Webinar, obj.webinar_id) if obj.webinar_id else None
        return [webinar] if webinar is not None else []
    if isinstance(obj, Approval):  # "Reviewed by …"
        return [obj.webinar] if obj.webinar is not None else []
    if isinstance(obj, PanelMember):
        previous = inspect(obj).attrs.webinar.history.deleted or ()
        return [w for w in (obj.webinar, *previous) if w is not None]
    if isinstance(obj, Speaker) and obj.id is not None:
        return session.scalars(
            select(Webinar).join(PanelMember).where(PanelMember.speaker_id == obj.id)
        ).all()
    if isinstance(obj, Organisation) and obj.id is not None:
        return session.scalars(
            select(Webinar).join(webinar_hosts).where(webinar_hosts.c.organisation_id == obj.id)
        ).all()
    return []


@event.listens_for(Session, "before_flush")
def _bump_content_versions(session: Session, _context: Any, _instances: Any) -> None:
    changed = [
        *session.new,
        *(o for o in session.dirty if session.is_modified(o)),
        *session.deleted,
    ]
    touched: dict[int, Webinar] = {}
    for obj in changed:
        for webinar in _pages_showing(session, obj):
            touched[id(webinar)] = webinar
    for webinar in touched.values():
        if webinar in session.deleted or webinar in session.new:
            continue  # a new webinar starts at version 0: no page was ever kept for it
        # In SQL, not from the value this session read: two transactions changing the same
        # webinar at once (on PostgreSQL) must leave it two versions on, not one.
        webinar.content_version = Webinar.content_version + 1
