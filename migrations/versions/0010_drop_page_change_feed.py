"""Public pages kept per webinar content_version; the change feed's triggers and log go

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 05:00:00

Issue 15: rendered webinar pages are kept per `webinars.content_version`, which the ORM
raises when anything a page shows changes (eventsapp/models/public_content.py); the NOTIFY
triggers (PostgreSQL, 0008) and the SQLite change log with its triggers (0009) go.
Trigger names are found in the database's catalogue, not listed again here.
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        names = bind.execute(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'public_pages_%'")
        ).scalars()
        for name in list(names):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    elif bind.dialect.name == "postgresql":
        rows = bind.execute(
            sa.text(
                "SELECT tgname, tgrelid::regclass::text FROM pg_trigger"
                " WHERE tgname LIKE 'public_pages_%' AND NOT tgisinternal"
            )
        ).all()
        for name, table in rows:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS public_pages_changed()")
        op.execute("DROP FUNCTION IF EXISTS public_pages_webinar_updated()")
    op.drop_table("public_page_changes")
    with op.batch_alter_table("webinars") as batch:
        batch.add_column(
            sa.Column("content_version", sa.Integer(), server_default="0", nullable=False)
        )


def _migration(prefix: str):  # type: ignore[no-untyped-def]
    path = next(Path(__file__).parent.glob(f"{prefix}_*.py"))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade():
    # A plain DROP COLUMN, not batch mode: rebuilding `webinars` on SQLite with foreign keys
    # on would cascade its DROP TABLE to every host, panel and registration row.
    op.drop_column("webinars", "content_version")
    # What 0008 and 0009 created, from their own copies of the SQL.
    _migration("0008").upgrade()
    _migration("0009").upgrade()
