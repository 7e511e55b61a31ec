"""SQLite as a concurrent embedded database.

pysqlite starts transactions lazily, so two writers collide and one fails with
"database is locked". Following SQLAlchemy's documented pysqlite recipe we switch the
driver's own BEGIN off and emit BEGIN IMMEDIATE ourselves: writers then queue for the
write lock (busy_timeout) instead of failing. Read-only work (DEFERRED mode: GET
requests, rendering in the mail worker) runs without BEGIN, each statement in its own
implicit read transaction, so it never waits for, or holds, the write lock; with WAL,
readers and the writer do not block each other. (As on PostgreSQL, see postgres.py: each
read sees what was committed when it ran, which is what READ COMMITTED gives anyway.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

IMMEDIATE, DEFERRED = "IMMEDIATE", "DEFERRED"
F = TypeVar("F", bound=Callable[..., Any])

_begin_mode: ContextVar[str] = ContextVar("sqlite_begin_mode", default=IMMEDIATE)


def set_begin_mode(mode: str) -> Token[str]:
    """Transactions started from now on in this context use `mode`; reset with the token."""
    return _begin_mode.set(mode)


def current_mode() -> str:
    """DEFERRED while this context only reads; postgres.py reads it too."""
    return _begin_mode.get()


def reset_begin_mode(token: Token[str]) -> None:
    _begin_mode.reset(token)


@contextmanager
def begin_mode(mode: str) -> Iterator[None]:
    token = set_begin_mode(mode)
    try:
        yield
    finally:
        reset_begin_mode(token)


def writes_on_get(view: F) -> F:
    """Mark a GET view that writes (e.g. an audit record of who viewed what)."""
    view.sqlite_writes = True  # type: ignore[attr-defined]
    return view


def mode_for_request(method: str, view: object) -> str:
    safe = method in ("GET", "HEAD", "OPTIONS") and not getattr(view, "sqlite_writes", False)
    return DEFERRED if safe else IMMEDIATE


def configure(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        if _begin_mode.get() == IMMEDIATE:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
