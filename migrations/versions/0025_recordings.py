"""Accessible recordings: each webinar's captions (WebVTT), transcript and chapters

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 12:00:00

Issue 21 (accessible recordings): shown on the public recording page once published;
follow-up emails link to that page.
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webinar_id", sa.Integer(), nullable=False),
        sa.Column("captions", sa.Text(), server_default="", nullable=False),
        sa.Column("transcript", sa.Text(), server_default="", nullable=False),
        sa.Column("chapters", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["webinar_id"],
            ["webinars.id"],
            name=op.f("fk_recordings_webinar_id_webinars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recordings")),
        sa.UniqueConstraint("webinar_id", name=op.f("uq_recordings_webinar_id")),
    )


def downgrade():
    op.drop_table("recordings")
