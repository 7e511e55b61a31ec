"""Webinars keep the audience counts of people whose details were erased

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 13:00:00

Issue 17: erasing someone removes what they said they are (living with pain, carer, ...);
the webinar keeps the anonymous count instead, so its "attended by audience" figures stay
as they were.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "webinars",
        sa.Column("erased_audiences", sa.JSON(), server_default=sa.text("'{}'"), nullable=False),
    )


def downgrade():
    op.drop_column("webinars", "erased_audiences")
