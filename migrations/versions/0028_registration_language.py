"""The language each person registered in

Revision ID: 0028
Revises: 0027
Create Date: 2026-11-30 12:30:00

Issue 21 (Welsh): `registrations.language`, "en" or "cy", set from the page the form was
posted from; their emails and text reminders are in it. Not personal (kept on erasure).
Existing registrations were all made in English.
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "registrations",
        sa.Column("language", sa.String(length=2), nullable=False, server_default="en"),
    )


def downgrade():
    op.drop_column("registrations", "language")
