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


def _statement_trigger(table: str, events: str) -> str:
    return (
        f"CREATE TRIGGER {TRIGGER_PREFIX}{table} AFTER {events} ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION public_pages_changed()"
    )


TRIGGERS = (
    *(_statement_trigger(t, "INSERT OR UPDATE OR DELETE OR TRUNCATE") for t in WATCHED_TABLES),
    _statement_trigger("webinars", "INSERT OR DELETE OR TRUNCATE"),
    f"CREATE TRIGGER {TRIGGER_PREFIX}webinars_updated AFTER UPDATE ON webinars "
    "FOR EACH ROW EXECUTE FUNCTION public_pages_webinar_updated()",
)
TRIGGER_NAMES = (
    *(TRIGGER_PREFIX + t for t in (*WATCHED_TABLES, "webinars")),
    TRIGGER_PREFIX + "webinars_updated",
)


def install(metadata: MetaData) -> None:
    """Create the functions and triggers whenever create_all creates the tables."""
    for statement in (*FUNCTIONS, *TRIGGERS):
        event.listen(metadata, "after_create", DDL(statement).execute_if(dialect="postgresql"))
