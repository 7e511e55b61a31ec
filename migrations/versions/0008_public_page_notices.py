"""PostgreSQL: NOTIFY web processes when a public webinar page's data changes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 02:00:00

See eventsapp/models/change_notices.py. This migration keeps its own copy of the SQL, as it
was when written. Nothing on SQLite (web processes read PRAGMA data_version there).
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_TABLES = ("webinar_hosts", "organisations", "panel_members", "speakers")

_UPGRADE = [
    """
CREATE OR REPLACE FUNCTION public_pages_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('public_pages', '');
    RETURN NULL;
END $$""",
    """
CREATE OR REPLACE FUNCTION public_pages_webinar_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (to_jsonb(NEW) - 'seats_taken') IS DISTINCT FROM (to_jsonb(OLD) - 'seats_taken') THEN
        PERFORM pg_notify('public_pages', '');
    ELSIF NEW.seats_taken IS DISTINCT FROM OLD.seats_taken THEN
        PERFORM pg_notify('public_pages', 'seats ' || NEW.id || ' ' || NEW.seats_taken);
    END IF;
    RETURN NULL;
END $$""",
    *(
        f"CREATE TRIGGER public_pages_{table} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION public_pages_changed()"
        for table in _TABLES
    ),
    "CREATE TRIGGER public_pages_webinars AFTER INSERT OR DELETE OR TRUNCATE ON webinars "
    "FOR EACH STATEMENT EXECUTE FUNCTION public_pages_changed()",
    "CREATE TRIGGER public_pages_webinars_updated AFTER UPDATE ON webinars "
    "FOR EACH ROW EXECUTE FUNCTION public_pages_webinar_updated()",
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in _UPGRADE:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in (*_TABLES, "webinars"):
        op.execute(f"DROP TRIGGER IF EXISTS public_pages_{table} ON {table}")
    op.execute("DROP TRIGGER IF EXISTS public_pages_webinars_updated ON webinars")
    op.execute("DROP FUNCTION IF EXISTS public_pages_changed()")
    op.execute("DROP FUNCTION IF EXISTS public_pages_webinar_updated()")
