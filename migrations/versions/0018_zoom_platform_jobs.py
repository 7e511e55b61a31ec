"""Zoom: linked webinars, registrants' Zoom details, and the queue of platform calls

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 15:00:00

Issue 19: a webinar may be linked to a Zoom webinar. Registrations are then added to it
(and cancelled), moves and cancellations follow, and the attendance report is fetched,
through platform_jobs, written in the same transaction as the change that needs them.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("webinars", sa.Column("zoom_webinar_id", sa.String(length=20), nullable=True))
    op.add_column(
        "registrations", sa.Column("zoom_registrant_id", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "registrations", sa.Column("zoom_join_url", sa.String(length=1000), nullable=True)
    )
    op.create_table(
        "platform_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("webinar_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("zoom_webinar_id", sa.String(length=20), nullable=False),
        sa.Column("zoom_registrant_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('add_registrant', 'cancel_registrant', 'move_webinar', 'cancel_webinar', "
            "'fetch_attendance')",
            name=op.f("ck_platform_jobs_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'done', 'failed', 'skipped')",
            name=op.f("ck_platform_jobs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_platform_jobs_registration_id_registrations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["webinar_id"],
            ["webinars.id"],
            name=op.f("fk_platform_jobs_webinar_id_webinars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_jobs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_platform_jobs_dedupe_key")),
    )
    with op.batch_alter_table("platform_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_platform_jobs_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_platform_jobs_registration_id"), ["registration_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_platform_jobs_webinar_id"), ["webinar_id"], unique=False
        )


def downgrade():
    op.drop_table("platform_jobs")
    # Not batch mode: SQLite would rebuild the tables, and dropping webinars' old copy
    # would cascade to its hosts and panel (SQLite drops a plain column in place).
    op.drop_column("registrations", "zoom_join_url")
    op.drop_column("registrations", "zoom_registrant_id")
    op.drop_column("webinars", "zoom_webinar_id")
