"""Each user's automatic saves (library.schedule): how often, and when the next one is due.

Revision ID: 0002_schedules
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_schedules"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "save_schedules",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("every", sa.String(16), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    # The schedulers' question, every minute: whose save is due.
    op.create_index("ix_save_schedules_next_at", "save_schedules", ["next_at"])


def downgrade() -> None:
    op.drop_index("ix_save_schedules_next_at", table_name="save_schedules")
    op.drop_table("save_schedules")
