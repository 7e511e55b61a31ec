"""Sign-off before publishing: reviewer accounts and webinar approvals

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:00:00

Issue 17: an admin marks accounts as reviewers for their organisation; a webinar is
published only when a reviewer of every host organisation has approved its public content.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "users", sa.Column("is_reviewer", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.create_table(
        "webinar_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webinar_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_name", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_webinar_approvals_organisation_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_webinar_approvals_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["webinar_id"],
            ["webinars.id"],
            name=op.f("fk_webinar_approvals_webinar_id_webinars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webinar_approvals")),
        sa.UniqueConstraint(
            "webinar_id",
            "organisation_id",
            name=op.f("uq_webinar_approvals_webinar_id_organisation_id"),
        ),
    )


def downgrade():
    op.drop_table("webinar_approvals")
    op.drop_column("users", "is_reviewer")
