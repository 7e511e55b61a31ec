"""What has changed in the database since this process last asked, without asking it.

The public webinar page is the most visited page; reading its data on every view was most
of its cost (on PostgreSQL a round trip each time). A process keeps what it read and asks
a ChangeFeed, per view, whether that may have changed — a local read costing microseconds:

- SQLite: `PRAGMA data_version` on a connection of the feed's own that never writes. The
  number changes whenever any other connection, in any process, has committed; only then
  the feed reads the notices the triggers in models/change_notices.py left in a short log
  table since it last looked (most commits, e.g. the mail worker's, leave none).
- PostgreSQL: LISTEN on a connection of the feed's own; the triggers in
  models/change_notices.py NOTIFY at commit. Reading what has arrived is a non-blocking read
  of that socket. A notice reaches the process a fraction of a millisecond after the commit,
  so a page may show the state of that long ago — less than the time a visitor's browser
  takes to ask for the next page.

poll() returns the changes since the last poll, or None when the feed cannot tell (an
in-memory database, the listening connection lost, the triggers missing): the caller then
reads the database every time, as before. One feed per app (engine), created lazily in the
process that uses it (gunicorn forks workers after loading the app), closed with the engine.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from time import monotonic
from typing import Any

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine

from eventsapp.models import change_notices

log = logging.getLogger(__name__)

RETRY_SECONDS = 1.0
# Connections opened before a fork, kept (never closed, never used) by the child: dropping
# one would let the driver close it, and with it the parent's connection on the same socket.
_inherited: list[Any] = []


@dataclass(frozen=True)
class Changed:
    """Anything may have changed."""


@dataclass(frozen=True)
class SeatsTaken:
    """Only the seat count of one webinar changed: it is now `taken`."""

    webinar_id: int
    taken: int


Change = Changed | SeatsTaken
ANYTHING = Changed()


class ChangeFeed:
    """Never tells: for an in-memory SQLite database (private to each connection), or when
    CHANGE_FEED is off."""

    def poll(self) -> list[Change] | None:
        return None

    def close(self) -> None:
        pass


class _OwnConnection(ChangeFeed):
    """A connection of the feed's own, opened in the process that polls, reopened (at most
    once a RETRY_SECONDS) after a failure; while it is down, poll() returns None."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()  # the development server is threaded
        self._connection: Any = None
        self._pid = 0
        self._retry_at = 0.0

    def poll(self) -> list[Change] | None:
        with self._lock:
            if self._pid != os.getpid():
                self.close()  # opened by the parent before a fork (or never opened)
            if self._connection is None:
                if monotonic() < self._retry_at:
                    return None
                try:
                    self._connection, self._pid = self._open(), os.getpid()
                except Exception as exc:  # noqa: BLE001 (any failure: read the database instead)
                    return self._lost(exc)
                return [ANYTHING]  # nothing is known about what happened before it opened
            try:
                return self._read()
            except Exception as exc:  # noqa: BLE001
                return self._lost(exc)

    def _lost(self, exc: Exception) -> None:
        log.warning("change feed unavailable, pages read the database: %s", type(exc).__name__)
        self.close()
        self._retry_at = monotonic() + RETRY_SECONDS
        return None

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and self._pid != os.getpid():
            _inherited.append(connection)
        elif connection is not None:
            try:
                connection.close()
            except Exception:  # noqa: BLE001, S110 (closing a broken connection)
                pass

    def _open(self) -> Any:
        raise NotImplementedError

    def _read(self) -> list[Change]:
        raise NotImplementedError


class SQLiteFeed(_OwnConnection):
    _version = -1
    _seq = 0

    def _open(self) -> sqlite3.Connection:
        path = self._engine.url.database
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        try:
            triggers = connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            if not set(change_notices.sqlite_trigger_names()) <= {name for (name,) in triggers}:
                raise LookupError("the change notice triggers are missing (flask db upgrade)")
            self._version = connection.execute("PRAGMA data_version").fetchone()[0]
            self._seq = connection.execute(_LAST_SEQ).fetchone()[0]
        except BaseException:
            connection.close()
            raise
        return connection

    def _read(self) -> list[Change]:
        version = self._connection.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version:
            return []
        # Another connection committed: the notices it left, if any (most commits, e.g. the
        # mail worker marking an email sent, change nothing a public page shows).
        self._version = version
        rows = self._connection.execute(_NOTICES_SINCE, (self._seq,)).fetchall()
        if not rows:
            return []
        previous, self._seq = self._seq, rows[-1][0]
        if rows[0][0] != previous + 1:
            return [ANYTHING]  # the log was cut short past what this process last saw
        return [
            ANYTHING if webinar is None else SeatsTaken(webinar, taken)
            for _, webinar, taken in rows
        ]


# The log models/change_notices.py keeps (public_page_changes).
_LAST_SEQ = "SELECT coalesce(max(seq), 0) FROM public_page_changes"
_NOTICES_SINCE = (
    "SELECT seq, webinar_id, seats_taken FROM public_page_changes WHERE seq > ? ORDER BY seq"
)


class PostgresFeed(_OwnConnection):
    def _open(self) -> Any:
        dialect = self._engine.dialect
        args, kwargs = dialect.create_connect_args(self._engine.url)
        connection = dialect.loaded_dbapi.connect(*args, **kwargs)
        try:
            connection.autocommit = True
            installed = connection.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = ANY(%s)",
                [list(change_notices.TRIGGER_NAMES)],
            ).fetchone()[0]
            if installed != len(change_notices.TRIGGER_NAMES):
                raise LookupError("the change notice triggers are missing (flask db upgrade)")
            connection.execute(f"LISTEN {change_notices.CHANNEL}")
        except BaseException:
            connection.close()
            raise
        return connection

    def _read(self) -> list[Change]:
        pgconn = self._connection.pgconn
        pgconn.consume_input()  # what has arrived; libpq's socket never blocks
        if pgconn.status != _CONNECTION_OK:  # e.g. the server ended it: notices would be missed
            raise ConnectionError("the listening connection was closed")
        changes: list[Change] = []
        while (notice := pgconn.notifies()) is not None:
            changes.append(_parse(notice.extra.decode()))
        return changes


_CONNECTION_OK = 0  # libpq's CONNECTION_OK (psycopg.pq.ConnStatus.OK)


def _parse(payload: str) -> Change:
    kind, _, rest = payload.partition(" ")
    if kind == change_notices.SEATS_NOTICE:
        webinar_id, taken = rest.split()
        return SeatsTaken(int(webinar_id), int(taken))
    return ANYTHING


def for_engine(engine: Engine, enabled: bool = True) -> ChangeFeed:
    if not enabled:
        feed: ChangeFeed = ChangeFeed()
    elif engine.dialect.name == "postgresql":
        feed = PostgresFeed(engine)
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        feed = SQLiteFeed(engine)
    else:
        feed = ChangeFeed()
    event.listen(engine, "engine_disposed", lambda _engine: feed.close())
    return feed


def configure(engine: Engine) -> None:
    """Give the current app its feed (call once, in create_app)."""
    enabled = current_app.config.get("CHANGE_FEED", True)
    current_app.extensions["change_feed"] = for_engine(engine, enabled)


def poll() -> list[Change] | None:
    feed: ChangeFeed = current_app.extensions["change_feed"]
    return feed.poll()
