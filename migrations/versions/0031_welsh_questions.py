"""Organisers' own questions in Welsh

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-30 14:00:00

Issue 21 (Welsh): each question on a registration form gets an optional Welsh wording of
its question, hint and choices (`label_cy`, `hint_cy`, `choices_cy`), shown on Welsh
pages; empty shows the English, marked lang="en". Answers are still recorded in English.
Existing questions have no Welsh, so they need no backfill.
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "form_questions",
        sa.Column("label_cy", sa.String(length=300), nullable=False, server_default=""),
    )
    op.add_column(
        "form_questions",
        sa.Column("hint_cy", sa.String(length=500), nullable=False, server_default=""),
    )
    op.add_column(
        "form_questions",
        sa.Column("choices_cy", sa.JSON(), nullable=False, server_default="[]"),
    )


def downgrade():
    op.drop_column("form_questions", "choices_cy")
    op.drop_column("form_questions", "hint_cy")
    op.drop_column("form_questions", "label_cy")
