"""Rendered webinar pages, reused while the webinar's content and availability stay the same.

Keyed by the page's language (English, or Welsh under /cy: eventsapp/locales.py), the page,
the webinar, its `content_version` (raised by the ORM whenever anything
the page shows changes: models/public_content.py) and its availability now, so a kept page
is never stale. Two things differ per view and are put in rather than kept: the visitor's
CSRF token, and the number of places left — otherwise every registration would make the
next visitor's page a fresh render, just when an announcement brings hundreds a minute.
One bounded, thread-safe cache per app.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app, g
from flask_babel import ngettext
from flask_wtf.csrf import generate_csrf

from eventsapp import locales

# Where the token and the places left go; NUL never appears in rendered HTML. Not secrets.
TOKEN_SLOT = "\x00csrf-token\x00"  # noqa: S105
SEATS_SLOT = "\x00places-left\x00"
_MAX_ENTRIES = 256


def places_left(seats_left: int) -> str:
    """The `places_left` template filter: the text, or its slot in a page being kept."""
    if g.get("rendering_to_keep"):
        return SEATS_SLOT
    return ngettext("%(num)d place left", "%(num)d places left", seats_left)


class _Pages:
    def __init__(self) -> None:
        self.pages: OrderedDict[Hashable, str] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self.lock:
            page = self.pages.get(key)
            if page is not None:
                self.pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: str) -> None:
        with self.lock:
            self.pages[key] = page
            while len(self.pages) > _MAX_ENTRIES:
                self.pages.popitem(last=False)


def page(key: Hashable, seats_left: int, render: Callable[[], str], *, has_form: bool) -> str:
    """The page for `key` (which must name everything it shows but the places left),
    rendered by `render` if not kept, with this view's token and places left put in."""
    pages: _Pages | None = current_app.extensions.get("webinar_pages")
    if pages is None:  # not setdefault(): that would build one on every view
        pages = current_app.extensions["webinar_pages"] = _Pages()
    token = generate_csrf() if has_form else None
    key = (locales.current(), key)  # a Welsh visitor never gets a kept English page
    kept = pages.get(key)
    if kept is None:
        g.rendering_to_keep = True
        try:
            kept = render()
        finally:
            g.rendering_to_keep = False
        if token:
            kept = kept.replace(token, TOKEN_SLOT)
        pages.put(key, kept)
    shown = kept.replace(SEATS_SLOT, places_left(seats_left))
    return shown.replace(TOKEN_SLOT, token) if token else shown
