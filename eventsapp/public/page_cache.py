"""Rendered webinar pages, reused while nothing they show has changed.

Keyed by services.webinars.page_version(): a digest of the page's data and availability, so
an entry is never stale; a changed seat count or bio is a new key and the old entry ages out
of the LRU. Only the GET page a first-time visitor sees is stored, with their CSRF token
taken out; each request puts its own token back. One bounded, thread-safe cache per app.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app

# Where the token goes; NUL never appears in rendered HTML. Not a secret.
TOKEN_SLOT = "\x00csrf-token\x00"  # noqa: S105
_MAX_ENTRIES = 256


class PageCache:
    def __init__(self) -> None:
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: str) -> None:
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > _MAX_ENTRIES:
                self._pages.popitem(last=False)

    def __len__(self) -> int:
        return len(self._pages)


def for_app() -> PageCache:
    """This app's cache (made on first use): rendered pages also depend on its config."""
    cache = current_app.extensions.get("page_cache")
    if cache is None:  # not setdefault(): that would build a PageCache on every request
        cache = current_app.extensions["page_cache"] = PageCache()
    return cache
