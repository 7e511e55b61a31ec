"""Zoom webhooks: deliveries already accepted, so a replay is refused

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-30 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "webhook_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_receipts")),
        sa.UniqueConstraint("signature_hash", name=op.f("uq_webhook_receipts_signature_hash")),
    )
    op.create_index(
        op.f("ix_webhook_receipts_received_at"), "webhook_receipts", ["received_at"], unique=False
    )


def downgrade():
    op.drop_index(op.f("ix_webhook_receipts_received_at"), table_name="webhook_receipts")
    op.drop_table("webhook_receipts")
