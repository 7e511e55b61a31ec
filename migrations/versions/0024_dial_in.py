"""Joining by phone: each webinar's dial-in numbers, meeting ID and passcode

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-30 14:00:00

Issue 21 (phone and low bandwidth): shown to registrants in their emails, calendar
invitations and join page.
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "webinars", sa.Column("dial_in_numbers", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "webinars",
        sa.Column("dial_in_meeting_id", sa.String(length=40), server_default="", nullable=False),
    )
    op.add_column(
        "webinars",
        sa.Column("dial_in_passcode", sa.String(length=40), server_default="", nullable=False),
    )


def downgrade():
    op.drop_column("webinars", "dial_in_passcode")
    op.drop_column("webinars", "dial_in_meeting_id")
    op.drop_column("webinars", "dial_in_numbers")
