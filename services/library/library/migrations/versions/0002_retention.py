"""Each user's retention rule (absent: the server's TAPEDECK_RETENTION).

Revision ID: 0002_retention
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_retention"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_rules",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("keep_last", sa.Integer, nullable=False),
        sa.Column("keep_daily", sa.Integer, nullable=False),
        sa.Column("keep_weekly", sa.Integer, nullable=False),
        sa.Column("keep_monthly", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("retention_rules")
