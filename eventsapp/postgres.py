"""PostgreSQL: read-only work runs without BEGIN and ROLLBACK.

Requests that only read (sqlite.DEFERRED mode: safe methods not marked writes_on_get, the
mail worker's rendering) use autocommit, saving two round trips per request. Reads see the
same data as before: under READ COMMITTED each statement takes its own snapshot anyway,
in a transaction or not. SQLAlchemy restores the default when the connection goes back to
the pool, so work that may write always runs in a transaction.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from eventsapp import sqlite


def configure(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "engine_connect")
    def _autocommit_reads(connection: Connection) -> None:
        if sqlite.current_mode() == sqlite.DEFERRED:
            connection.execution_options(isolation_level="AUTOCOMMIT")
