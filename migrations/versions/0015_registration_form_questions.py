"""Organisers' own questions on a webinar's registration form, and the answers

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webinar_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("hint", sa.String(length=500), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("about_health", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('short_text', 'long_text', 'one_choice', 'many_choices', 'yes_no')",
            name=op.f("ck_form_questions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["webinar_id"],
            ["webinars.id"],
            name=op.f("fk_form_questions_webinar_id_webinars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_questions")),
    )
    op.create_table(
        "form_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("asked", sa.String(length=300), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["form_questions.id"],
            name=op.f("fk_form_answers_question_id_form_questions"),
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_form_answers_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_answers")),
        sa.UniqueConstraint(
            "registration_id",
            "question_id",
            name=op.f("uq_form_answers_registration_id_question_id"),
        ),
    )


def downgrade():
    op.drop_table("form_answers")
    op.drop_table("form_questions")
