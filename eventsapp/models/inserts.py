"""INSERT … ON CONFLICT for the database in use (SQLite and PostgreSQL both have it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from eventsapp.extensions import db


def conflict_aware_insert(table: Table) -> Any:
    """An insert() with on_conflict_do_nothing(): a duplicate is an expected outcome (a
    sweep run twice, the same address registering twice at once), not an error."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    return insert(table)
