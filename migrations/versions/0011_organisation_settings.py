"""Organisation settings: about, contact details, registrations, data protection officer, logo

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 08:00:00

Issue 16: the public pages, the contact page and the privacy notice read these instead of
text written into templates. All optional, so existing organisations keep working.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_COLUMNS = (
    ("about", 300),
    ("contact_email", 320),
    ("contact_phone", 40),
    ("charity_number", 40),
    ("regulator", 200),
    ("regulator_number", 60),
    ("ico_number", 20),
    ("dpo_email", 320),
    ("logo_filename", 200),
)


# Plain ADD/DROP COLUMN on both databases (SQLite has both since 3.35): a batch table copy
# would drop `organisations`, which other tables reference.
def upgrade():
    for name, length in _COLUMNS:
        op.add_column("organisations", sa.Column(name, sa.String(length), nullable=True))


def downgrade():
    for name, _length in reversed(_COLUMNS):
        op.drop_column("organisations", name)
