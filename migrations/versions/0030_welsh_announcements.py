"""Announcements in Welsh

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-30 13:45:00

Issue 21 (Welsh): an announcement's optional Welsh subject and body, written beside the
English; a registrant who registered in Welsh gets them in a Welsh email. Empty (no Welsh
version: everyone gets the English) for every announcement already written.
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "announcements",
        sa.Column("subject_cy", sa.String(length=200), nullable=False, server_default=""),
    )
    op.add_column(
        "announcements", sa.Column("body_cy", sa.Text(), nullable=False, server_default="")
    )


def downgrade():
    op.drop_column("announcements", "body_cy")
    op.drop_column("announcements", "subject_cy")
