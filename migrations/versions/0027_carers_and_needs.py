"""Carers and communication needs: who registered whom, the needs chosen, and what each
webinar offers

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 14:00:00

Issue 21 (carers and communication needs): `registrations.carer_name` and
`registrations.communication_needs` are personal (erasure clears them); existing webinars
offer every need and remind their organisers 14 days before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

# Written out, not imported: migrations never import application code.
_ALL_NEEDS = (
    '["live_captions", "bsl_interpreter", "transcript", "large_print_email", '
    '"plain_text_email", "phone_call_reminder"]'
)


def upgrade():
    op.add_column(
        "registrations",
        sa.Column("communication_needs", sa.String(length=300), nullable=False, server_default=""),
    )
    op.add_column("registrations", sa.Column("carer_name", sa.String(length=200), nullable=True))
    op.add_column(
        "webinars",
        sa.Column("needs_offered", sa.JSON(), nullable=False, server_default=_ALL_NEEDS),
    )
    op.add_column(
        "webinars",
        sa.Column("needs_booking_days", sa.Integer(), nullable=False, server_default="14"),
    )


def downgrade():
    op.drop_column("webinars", "needs_booking_days")
    op.drop_column("webinars", "needs_offered")
    op.drop_column("registrations", "carer_name")
    op.drop_column("registrations", "communication_needs")
