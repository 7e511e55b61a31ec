"""Bounces: an address that bounced, and emails whose delivery report said they bounced

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 14:00:00

Issue 18: the worker reads delivery-status reports (mail/bounces.py). A hard bounce marks
the outbox row bounced and the registration's address as bouncing, so reminders,
follow-ups and announcements stop going to it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_BEFORE = "status IN ('queued', 'sending', 'sent', 'failed', 'skipped')"
_AFTER = "status IN ('queued', 'sending', 'sent', 'failed', 'skipped', 'bounced')"


def upgrade():
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_bounced", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_status"), type_="check")
        batch_op.create_check_constraint("status", _AFTER)


def downgrade():
    op.execute("UPDATE outbox SET status = 'sent' WHERE status = 'bounced'")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_outbox_status"), type_="check")
        batch_op.create_check_constraint("status", _BEFORE)
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_column("email_bounced")
