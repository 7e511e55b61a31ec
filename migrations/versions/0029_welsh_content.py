"""Organisers' words in Welsh

Revision ID: 0029
Revises: 0028
Create Date: 2026-11-30 13:45:00

Issue 21 (Welsh): each organiser-written field gets an optional Welsh twin, `<field>_cy`,
shown on Welsh pages and in Welsh emails (locales.words); empty shows the English, marked
lang="en". Twins of non-null English columns are non-null and default to "" (no Welsh), so
existing rows need no backfill; twins of nullable ones are nullable.
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

# (table, column, type, nullable)
_TWINS = [
    ("webinars", "title_cy", sa.String(length=200), False),
    ("webinars", "summary_cy", sa.String(length=500), False),
    ("webinars", "description_cy", sa.Text(), False),
    ("webinars", "email_note_cy", sa.Text(), False),
    ("speakers", "professional_title_cy", sa.String(length=200), False),
    ("speakers", "bio_cy", sa.Text(), False),
    ("organisations", "marketing_description_cy", sa.String(length=300), True),
    ("organisations", "about_cy", sa.String(length=300), True),
]


def upgrade():
    for table, column, type_, nullable in _TWINS:
        op.add_column(
            table,
            sa.Column(
                column,
                type_,
                nullable=nullable,
                server_default=None if nullable else "",
            ),
        )


def downgrade():
    for table, column, _type, _nullable in reversed(_TWINS):
        op.drop_column(table, column)
