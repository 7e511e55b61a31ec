"""SQLite: a short log of changes to public webinar pages, kept by triggers

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 04:00:00

See eventsapp/models/change_notices.py: SQLite's stand-in for PostgreSQL's NOTIFY (0008).
The table is created on both databases, for one schema; the triggers only on SQLite. This
migration keeps its own copy of the SQL, as it was when written.
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ANYTHING = "INSERT INTO public_page_changes (webinar_id, seats_taken) VALUES (NULL, NULL)"
_WEBINAR_COLUMNS_BUT_SEATS = (
    "id, slug, title, summary, description, starts_at, duration_minutes, capacity, "
    "waitlist_enabled, registration_open, registration_closes_at, status, join_url, "
    "recording_url, doors_open_minutes, attendance_threshold_minutes, feedback_open_days, "
    "reminder_offsets, sequence, created_at, updated_at"
)
_TRIGGERS = {
    **{
        f"public_pages_{table}_{happened.lower()}": f"AFTER {happened} ON {table}"
        for table in ("webinar_hosts", "organisations", "panel_members", "speakers")
        for happened in ("INSERT", "UPDATE", "DELETE")
    },
    "public_pages_webinars_insert": "AFTER INSERT ON webinars",
    "public_pages_webinars_delete": "AFTER DELETE ON webinars",
    "public_pages_webinars_update": f"AFTER UPDATE OF {_WEBINAR_COLUMNS_BUT_SEATS} ON webinars",
}
_SPECIAL = {
    "public_pages_webinars_seats": (
        "AFTER UPDATE OF seats_taken ON webinars WHEN NEW.seats_taken IS NOT OLD.seats_taken",
        "INSERT INTO public_page_changes (webinar_id, seats_taken)"
        " VALUES (NEW.id, NEW.seats_taken)",
    ),
    "public_pages_log_kept_short": (
        "AFTER INSERT ON public_page_changes",
        "DELETE FROM public_page_changes WHERE seq <= NEW.seq - 1000",
    ),
}


def upgrade():
    op.create_table(
        "public_page_changes",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("webinar_id", sa.Integer(), nullable=True),
        sa.Column("seats_taken", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_public_page_changes")),
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    triggers = {
        **{name: (when, _ANYTHING) for name, when in _TRIGGERS.items()},
        **_SPECIAL,
    }
    for name, (when, body) in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body}; END")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in (*_TRIGGERS, *_SPECIAL):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("public_page_changes")
