"""PostgreSQL connection behaviour: no transaction for reads, a ping only after idleness.

Read-only work (sqlite.DEFERRED mode: safe methods not marked writes_on_get, the mail
worker's rendering) runs in autocommit, saving BEGIN and ROLLBACK round trips. Reads see the
same data as before: under READ COMMITTED each statement takes its own snapshot anyway, in
a transaction or not. SQLAlchemy restores the default when the connection goes back to the
pool, so work that may write always runs in a transaction.

A pooled connection is pinged before use only if it has sat idle for a second or more
(SQLAlchemy's pool_pre_ping pings on every checkout: one more round trip per request). A
restart or an idle-connection killer is caught by the ping; a connection in constant use
cannot have been dropped unnoticed for long, and if the database goes away mid-request
the error handler answers 503 and the pool reconnects.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError

from eventsapp import sqlite

PING_AFTER_IDLE_SECONDS = 1.0


def configure(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return
    dialect = engine.dialect

    @event.listens_for(engine, "engine_connect")
    def _autocommit_reads(connection: Connection) -> None:
        if sqlite.current_mode() == sqlite.DEFERRED:
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
