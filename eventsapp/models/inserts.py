"""INSERT … ON CONFLICT DO NOTHING for the database in use (SQLite and PostgreSQL)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.dml import Insert

from eventsapp.extensions import db


def insert_unless_exists(table: Table, *unique_columns: str) -> Insert:
    """`INSERT … ON CONFLICT (unique_columns) DO NOTHING RETURNING id`, built once per
    database: execute it with the row's values as parameters. No row back means the row
    existed — an expected outcome (a sweep run twice, one address registering twice at
    once), not an error. RETURNING because psycopg reports rowcount -1 here."""
    return _build(db.engine.dialect.name, table, unique_columns)


@cache
def _build(dialect: str, table: Table, unique_columns: tuple[str, ...]) -> Insert:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(table)
        .on_conflict_do_nothing(index_elements=list(unique_columns))
        .returning(table.c.id)
    )
