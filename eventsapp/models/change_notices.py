"""PostgreSQL tells every web process when what a public webinar page shows has changed.

Triggers NOTIFY the channel `public_pages` when a webinar, its hosts, panel, speakers or
organisations change; the notice reaches listeners when the transaction commits, never
before, and not at all if it rolls back. A change to the seat count alone (a registration or
a cancellation, the common case by far) says which webinar and how many seats are taken
now, so a listener can keep its copy of the page and put in the new number; anything else
says nothing but "changed". Triggers, not application code, so that every path that writes
(the organiser pages, the CLI, psql by hand) is covered. eventsapp/change_feed.py listens.

Created with the tables (tests create the schema with create_all) and by migration 0008;
the migration holds its own copy of this SQL, as history.
"""

from __future__ import annotations

from sqlalchemy import DDL, MetaData, event

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


def install(metadata: MetaData) -> None:
    """Create the functions and triggers whenever create_all creates the tables."""
    for statement in (*FUNCTIONS, *TRIGGERS):
        event.listen(metadata, "after_create", DDL(statement).execute_if(dialect="postgresql"))
