"""Transactions: work that may write is one transaction; reads need none.

Work that may write (every request but GET/HEAD/OPTIONS, a GET view marked
`@writes_on_get` such as an audited list, worker steps in `begin_mode(Mode.WRITE)`) is one
transaction, committed by the view, so a change and its outbox rows land together:
- SQLite has one writer at a time, and pysqlite would begin lazily: two requests that read
  and then write collide, and one fails with "database is locked" (a busy timeout cannot
  help a read snapshot that is already stale). Following SQLAlchemy's pysqlite recipe the
  driver's own BEGIN is off and we emit `BEGIN IMMEDIATE`, so writers queue for the lock.
- PostgreSQL: an ordinary transaction; row locks and the conditional seat UPDATE serialise
  writers.
Reads (Mode.READ) run without BEGIN on SQLite and in autocommit on PostgreSQL: each
statement sees what was committed when it ran — what READ COMMITTED gives inside a
transaction anyway — and a page view saves BEGIN and ROLLBACK (two round trips on
PostgreSQL). With WAL, SQLite's readers never wait for the writer nor hold it up.

A pooled PostgreSQL connection is pinged before use only after a second idle, where
restarts and idle-connection killers strike (pool_pre_ping would cost a round trip on every
request); a database lost mid-request gives the 503 page, and the pool reconnects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum
from time import monotonic
from typing import Any, TypeVar

from flask import Flask, g, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError

F = TypeVar("F", bound=Callable[..., Any])


class Mode(StrEnum):
    READ = "read"
    WRITE = "write"


_mode: ContextVar[Mode] = ContextVar("transaction_mode", default=Mode.WRITE)


@contextmanager
def begin_mode(mode: Mode) -> Iterator[None]:
    """Transactions begun inside this block are `mode`."""
    token = _mode.set(mode)
    try:
        yield
    finally:
        _mode.reset(token)


def writes_on_get(view: F) -> F:
    """Mark a GET view that writes (e.g. an audit record of who viewed what)."""
    view.writes_on_get = True  # type: ignore[attr-defined]
    return view


def mode_for_request(method: str, view: object) -> Mode:
    safe = method in ("GET", "HEAD", "OPTIONS") and not getattr(view, "writes_on_get", False)
    return Mode.READ if safe else Mode.WRITE


PING_AFTER_IDLE_SECONDS = 1.0


def init_app(app: Flask, engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name == "postgresql":
        _configure_postgresql(engine)

    @app.before_request
    def _set_mode() -> None:
        view = app.view_functions.get(request.endpoint or "")
        g.transaction_mode_token = _mode.set(mode_for_request(request.method, view))

    @app.teardown_request
    def _reset_mode(_exc: BaseException | None) -> None:
        token = g.pop("transaction_mode_token", None)
        if token is not None:
            _mode.reset(token)


def _configure_sqlite(engine: Engine) -> None:
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
        if _mode.get() is Mode.WRITE:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_postgresql(engine: Engine) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "engine_connect")
    def _autocommit_reads(connection: Connection) -> None:
        # SQLAlchemy restores the default when the connection goes back to the pool.
        if _mode.get() is Mode.READ:
            connection.execution_options(isolation_level="AUTOCOMMIT")

    @event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")  # None: connected just now
        if idle_since is None or monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_connection, None):
                raise DisconnectionError from exc  # the pool connects afresh and retries
            raise
