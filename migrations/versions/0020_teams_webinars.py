"""Teams: webinars linked to a Teams webinar, registrants' Teams details, and platform jobs
for either platform

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 16:00:00

Issue 19 (Teams): a webinar may instead be linked to a Teams webinar (a Microsoft Graph
virtual event). platform_jobs gains the platform each call goes to (existing rows: Zoom), and
its webinar and registrant id columns are renamed and widened (Graph's ids are long).
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("webinars", sa.Column("teams_webinar_id", sa.String(length=200), nullable=True))
    op.add_column(
        "registrations", sa.Column("teams_registration_id", sa.String(length=200), nullable=True)
    )
    op.add_column(
        "registrations", sa.Column("teams_join_url", sa.String(length=2000), nullable=True)
    )
    # platform_jobs has no foreign keys pointing at it: SQLite may rebuild it safely.
    with op.batch_alter_table("platform_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("platform", sa.String(length=10), nullable=False, server_default="zoom")
        )
        batch_op.alter_column(
            "zoom_webinar_id",
            new_column_name="platform_webinar_id",
            existing_type=sa.String(length=20),
            type_=sa.String(length=200),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "zoom_registrant_id",
            new_column_name="platform_registrant_id",
            existing_type=sa.String(length=64),
            type_=sa.String(length=200),
            existing_nullable=True,
        )
        batch_op.create_check_constraint(
            op.f("ck_platform_jobs_platform"), "platform IN ('zoom', 'teams')"
        )


def downgrade():
    op.execute("DELETE FROM platform_jobs WHERE platform = 'teams'")
    with op.batch_alter_table("platform_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_platform_jobs_platform"), type_="check")
        batch_op.alter_column(
            "platform_registrant_id",
            new_column_name="zoom_registrant_id",
            existing_type=sa.String(length=200),
            type_=sa.String(length=64),
            existing_nullable=True,
        )
        batch_op.alter_column(
            "platform_webinar_id",
            new_column_name="zoom_webinar_id",
            existing_type=sa.String(length=200),
            type_=sa.String(length=20),
            existing_nullable=False,
        )
        batch_op.drop_column("platform")
    # Not batch mode (see 0018): SQLite drops a plain column in place.
    op.drop_column("registrations", "teams_join_url")
    op.drop_column("registrations", "teams_registration_id")
    op.drop_column("webinars", "teams_webinar_id")
