"""Rendered webinar pages, reused while nothing they show has changed.

Keyed by services.webinars.page_version(): a digest of the page's data and availability, so
an entry is never stale; a changed bio or a webinar becoming full is a new key and the old
entry ages out of the LRU. Two things are put in per request instead of being part of the
key: the visitor's CSRF token, and the number of places left — otherwise every
registration would make the next visitor's page a fresh render, just when an announcement
brings hundreds a minute. One bounded, thread-safe cache per app.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from jinja2 import pass_context

# Where the token and the places left go; NUL never appears in rendered HTML. Not secrets.
TOKEN_SLOT = "\x00csrf-token\x00"  # noqa: S105
SEATS_SLOT = "\x00places-left\x00"


def places_left_text(seats_left: int) -> str:
    return f"{seats_left} {'place' if seats_left == 1 else 'places'} left"


@pass_context
def places_left(context: Any, seats_left: int) -> str:
    """The `places_left` template filter: the text, or the slot in a page made for caching
    (rendered with `seats_slot=True`)."""
    return SEATS_SLOT if context.get("seats_slot") else places_left_text(seats_left)


_MAX_ENTRIES = 256


@dataclass(frozen=True)
class CachedPage:
    html: str  # with the slots
    # A digest of `html`: with what goes into the slots it identifies the page sent, so the
    # page's ETag need not hash the whole body on every view.
    digest: bytes


class PageCache:
    def __init__(self) -> None:
        self._pages: OrderedDict[Hashable, CachedPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> CachedPage | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, html: str) -> CachedPage:
        page = CachedPage(html, hashlib.sha256(html.encode()).digest())
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > _MAX_ENTRIES:
                self._pages.popitem(last=False)
        return page

    def __len__(self) -> int:
        return len(self._pages)


def for_app() -> PageCache:
    """This app's cache (made on first use): rendered pages also depend on its config."""
    cache = current_app.extensions.get("page_cache")
    if cache is None:  # not setdefault(): that would build a PageCache on every request
        cache = current_app.extensions["page_cache"] = PageCache()
    return cache
