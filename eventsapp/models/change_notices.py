"""The database tells every web process when what a public webinar page shows has changed.

PostgreSQL: triggers NOTIFY the channel `public_pages` when a webinar, its hosts, panel,
speakers or organisations change; the notice reaches listeners when the transaction
commits, never before, and not at all if it rolls back. A change to the seat count alone (a
registration or a cancellation, the common case by far) says which webinar and how many
seats are taken now, so a listener can keep its copy of the page and put in the new number;
anything else says nothing but "changed".

SQLite has no NOTIFY: the same triggers append the same notices to a short log table,
`public_page_changes`, which a process reads only when `PRAGMA data_version` says another
connection has committed. (The table exists on PostgreSQL too, for one schema; it stays
empty there.)

Triggers, not application code, so that every path that writes (the organiser pages, the
CLI, psql or sqlite3 by hand) is covered. eventsapp/change_feed.py reads the notices.
Created with the tables (tests create the schema with create_all) and by migrations 0008
(PostgreSQL) and 0009 (SQLite); a migration holds its own copy of the SQL, as history.
"""

from __future__ import annotations

from sqlalchemy import DDL, Column, Integer, MetaData, Table, event

from eventsapp.extensions import db

CHANNEL = "public_pages"
SEATS_NOTICE = "seats"  # "seats <webinar id> <seats taken>"
# Each statement changing one of these tables may change a public page.
WATCHED_TABLES = ("webinar_hosts", "organisations", "panel_members", "speakers")
TRIGGER_PREFIX = "public_pages_"

FUNCTIONS = (
    f"""
CREATE OR REPLACE FUNCTION public_pages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');
    RETURN NULL;
END $$""",
    f"""
CREATE OR REPLACE FUNCTION public_pages_webinar_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'seats_taken') IS DISTINCT FROM (to_jsonb(OLD) - 'seats_taken') THEN
        PERFORM pg_notify('{CHANNEL}', '');
    ELSIF NEW.seats_taken IS DISTINCT FROM OLD.seats_taken THEN
        PERFORM pg_notify('{CHANNEL}', '{SEATS_NOTICE} ' || NEW.id || ' ' || NEW.seats_taken);
    END IF;
    RETURN NULL;
END $$""",
)


def _trigger(table: str, events: str, level: str, function: str) -> tuple[str, str]:
    """(name, CREATE TRIGGER statement)."""
    name = TRIGGER_PREFIX + table + ("_updated" if level == "ROW" else "")
    sql = f"CREATE TRIGGER {name} AFTER {events} ON {table} FOR EACH {level} EXECUTE FUNCTION "
    return name, sql + function


_ANY_CHANGE = "INSERT OR UPDATE OR DELETE OR TRUNCATE"
_TRIGGERS = dict(
    [
        *(_trigger(t, _ANY_CHANGE, "STATEMENT", "public_pages_changed()") for t in WATCHED_TABLES),
        _trigger("webinars", "INSERT OR DELETE OR TRUNCATE", "STATEMENT", "public_pages_changed()"),
        _trigger("webinars", "UPDATE", "ROW", "public_pages_webinar_updated()"),
    ]
)
TRIGGERS = tuple(_TRIGGERS.values())
TRIGGER_NAMES = tuple(_TRIGGERS)


public_page_changes = Table(
    "public_page_changes",
    db.metadata,
    # AUTOINCREMENT: numbers are never used twice, even after rows are deleted, so a reader
    # that remembers the last number it saw cannot miss what comes after.
    Column("seq", Integer, primary_key=True),
    # Both set: only this webinar's seat count changed, to this. Both null: anything may have.
    Column("webinar_id", Integer),
    Column("seats_taken", Integer),
    sqlite_autoincrement=True,
)
_LOG_ANYTHING = "INSERT INTO public_page_changes (webinar_id, seats_taken) VALUES (NULL, NULL)"
_LOG_SEATS = (
    "INSERT INTO public_page_changes (webinar_id, seats_taken) VALUES (NEW.id, NEW.seats_taken)"
)
# The log keeps its last 1,000 notices: a process that has not looked for longer than that
# finds a gap and reads everything again.
_LOG_KEPT_SHORT = "DELETE FROM public_page_changes WHERE seq <= NEW.seq - 1000"


def sqlite_triggers(webinar_columns: list[str]) -> dict[str, str]:
    """Name → CREATE TRIGGER for SQLite (row triggers only; `UPDATE OF` names the columns
    whose change means more than the seat count)."""
    others = ", ".join(c for c in webinar_columns if c != "seats_taken")
    when_body = [
        *(
            (f"{table}_{happened.lower()}", f"AFTER {happened} ON {table}", _LOG_ANYTHING)
            for table in WATCHED_TABLES
            for happened in ("INSERT", "UPDATE", "DELETE")
        ),
        ("webinars_insert", "AFTER INSERT ON webinars", _LOG_ANYTHING),
        ("webinars_delete", "AFTER DELETE ON webinars", _LOG_ANYTHING),
        ("webinars_update", f"AFTER UPDATE OF {others} ON webinars", _LOG_ANYTHING),
        (
            "webinars_seats",
            "AFTER UPDATE OF seats_taken ON webinars WHEN NEW.seats_taken IS NOT OLD.seats_taken",
            _LOG_SEATS,
        ),
        ("log_kept_short", "AFTER INSERT ON public_page_changes", _LOG_KEPT_SHORT),
    ]
    return {
        TRIGGER_PREFIX + name: f"CREATE TRIGGER {TRIGGER_PREFIX + name} {when} BEGIN {body}; END"
        for name, when, body in when_body
    }


def _webinar_columns(metadata: MetaData) -> list[str]:
    return [c.name for c in metadata.tables["webinars"].columns]


def sqlite_trigger_names() -> tuple[str, ...]:
    return tuple(sqlite_triggers(_webinar_columns(db.metadata)))


def install(metadata: MetaData) -> None:
    """Create the functions and triggers whenever create_all creates the tables."""
    for statement in (*FUNCTIONS, *TRIGGERS):
        event.listen(metadata, "after_create", DDL(statement).execute_if(dialect="postgresql"))
    for statement in sqlite_triggers(_webinar_columns(metadata)).values():
        event.listen(metadata, "after_create", DDL(statement).execute_if(dialect="sqlite"))
