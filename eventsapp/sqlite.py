"""SQLite as a concurrent embedded database.

pysqlite starts transactions lazily, so two writers collide and one fails with
"database is locked". Following SQLAlchemy's documented pysqlite recipe we switch the
driver's own BEGIN off and emit BEGIN IMMEDIATE ourselves: writers then queue for the
write lock (busy_timeout) instead of failing. Safe requests (GET/HEAD) use a deferred
BEGIN so that readers never wait for the write lock; with WAL they never block writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

_begin_mode: ContextVar[str] = ContextVar("sqlite_begin_mode", default="IMMEDIATE")


@contextmanager
def deferred_transactions() -> Iterator[None]:
    """Within this block, SQLite transactions start DEFERRED (for read-only work)."""
    token = _begin_mode.set("DEFERRED")
    try:
        yield
    finally:
        _begin_mode.reset(token)


def set_request_begin_mode(read_only: bool) -> None:
    _begin_mode.set("DEFERRED" if read_only else "IMMEDIATE")


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
        conn.exec_driver_sql(f"BEGIN {_begin_mode.get()}")
