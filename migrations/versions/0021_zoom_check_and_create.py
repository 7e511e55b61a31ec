"""Zoom: the linked webinar read back (its status in words), and webinars created on Zoom

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 18:00:00

Issue 19 (Zoom): webinars gain zoom_status (what reading the Zoom webinar back said), and
platform_jobs two kinds: check_webinar and create_webinar.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_OLD_KINDS = (
    "kind IN ('add_registrant', 'cancel_registrant', 'move_webinar', 'cancel_webinar', "
    "'fetch_attendance')"
)
_NEW_KINDS = (
    "kind IN ('add_registrant', 'cancel_registrant', 'move_webinar', 'cancel_webinar', "
    "'fetch_attendance', 'check_webinar', 'create_webinar')"
)


def upgrade():
    op.add_column("webinars", sa.Column("zoom_status", sa.String(length=400), nullable=True))
    # platform_jobs has no foreign keys pointing at it: SQLite may rebuild it safely.
    with op.batch_alter_table("platform_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_platform_jobs_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_platform_jobs_kind"), _NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM platform_jobs WHERE kind IN ('check_webinar', 'create_webinar')")
    with op.batch_alter_table("platform_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_platform_jobs_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_platform_jobs_kind"), _OLD_KINDS)
    # Not batch mode (see 0018): SQLite drops a plain column in place.
    op.drop_column("webinars", "zoom_status")
