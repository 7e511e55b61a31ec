"""Text-message reminders: who asked for one (with their mobile number), and the queue

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 13:00:00

Issue 21 (text reminders): the number is personal (erasing deletes the opt-in row); the
queue holds no number and no body (both read when each text is sent).
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "text_reminder_opt_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_text_reminder_opt_ins_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_reminder_opt_ins")),
        sa.UniqueConstraint(
            "registration_id", name=op.f("uq_text_reminder_opt_ins_registration_id")
        ),
    )
    op.create_index(
        op.f("ix_text_reminder_opt_ins_phone"), "text_reminder_opt_ins", ["phone"], unique=False
    )
    op.create_table(
        "text_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=True),
        sa.Column("webinar_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('reminder')", name=op.f("ck_text_messages_kind")),
        sa.CheckConstraint(
            "status IN ('queued', 'sending', 'sent', 'failed', 'skipped')",
            name=op.f("ck_text_messages_status"),
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_text_messages_registration_id_registrations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["webinar_id"],
            ["webinars.id"],
            name=op.f("fk_text_messages_webinar_id_webinars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_text_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_text_messages_dedupe_key")),
    )
    op.create_index("ix_text_messages_due", "text_messages", ["status", "due_at"], unique=False)
    op.create_index(
        op.f("ix_text_messages_registration_id"),
        "text_messages",
        ["registration_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_text_messages_webinar_id"), "text_messages", ["webinar_id"], unique=False
    )


def downgrade():
    op.drop_table("text_messages")
    op.drop_table("text_reminder_opt_ins")
