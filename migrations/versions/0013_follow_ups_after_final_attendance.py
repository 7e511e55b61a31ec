"""Follow-ups wait for attendance to be final

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 10:00:00

Issue 17: organisers confirm attendance is final (attendance_final_at) before follow-ups
go (follow_ups_sent_at). Webinars already followed up are marked both, so nobody is
followed up again.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("webinars", sa.Column("attendance_final_at", sa.DateTime(), nullable=True))
    op.add_column("webinars", sa.Column("follow_ups_sent_at", sa.DateTime(), nullable=True))
    op.execute(
        """
        UPDATE webinars SET
            follow_ups_sent_at = (
                SELECT min(created_at) FROM outbox
                WHERE outbox.webinar_id = webinars.id
                  AND kind IN ('follow_up_attended', 'follow_up_missed')),
            attendance_final_at = (
                SELECT min(created_at) FROM outbox
                WHERE outbox.webinar_id = webinars.id
                  AND kind IN ('follow_up_attended', 'follow_up_missed'))
        """
    )


def downgrade():
    op.drop_column("webinars", "follow_ups_sent_at")
    op.drop_column("webinars", "attendance_final_at")
