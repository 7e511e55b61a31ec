"""API keys for the organisations' private API, and registrations.updated_at

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 12:00:00

Issue 20: api_keys (one organisation's key: only its SHA-256 is kept), and
registrations.updated_at for the API's `updated_since` and cursors. Existing rows get the
latest moment known to have changed them: their status change, erasure or attendance.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_BACKFILL = (
    "UPDATE registrations SET updated_at = status_changed_at",
    "UPDATE registrations SET updated_at = created_at WHERE created_at > updated_at",
    "UPDATE registrations SET updated_at = erased_at "
    "WHERE erased_at IS NOT NULL AND erased_at > updated_at",
    "UPDATE registrations SET updated_at = ("
    " SELECT a.updated_at FROM attendance a WHERE a.registration_id = registrations.id"
    ") WHERE EXISTS ("
    " SELECT 1 FROM attendance a WHERE a.registration_id = registrations.id"
    " AND a.updated_at > registrations.updated_at)",
)


def upgrade():
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("access", sa.String(length=20), nullable=False),
        sa.Column("include_health", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("access IN ('read', 'read_write')", name=op.f("ck_api_keys_access")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_api_keys_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisations.id"],
            name=op.f("fk_api_keys_organisation_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    op.create_index(
        op.f("ix_api_keys_organisation_id"), "api_keys", ["organisation_id"], unique=False
    )
    # Not batch mode: registrations has cascading foreign keys pointing at it, so SQLite
    # must not rebuild it. SQLite adds a NOT NULL column only with a constant default (the
    # app always writes the value); PostgreSQL adds it empty and then requires it.
    if op.get_bind().dialect.name == "sqlite":
        op.add_column(
            "registrations",
            sa.Column(
                "updated_at",
                sa.DateTime(),
                server_default="1970-01-01 00:00:00.000000",
                nullable=False,
            ),
        )
    else:
        op.add_column("registrations", sa.Column("updated_at", sa.DateTime(), nullable=True))
    for statement in _BACKFILL:
        op.execute(statement)
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("registrations", "updated_at", nullable=False)
    op.create_index(
        "ix_registrations_updated_at", "registrations", ["updated_at", "id"], unique=False
    )


def downgrade():
    op.drop_index("ix_registrations_updated_at", table_name="registrations")
    op.drop_column("registrations", "updated_at")
    op.drop_index(op.f("ix_api_keys_organisation_id"), table_name="api_keys")
    op.drop_table("api_keys")
