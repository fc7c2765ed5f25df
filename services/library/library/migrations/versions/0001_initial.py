"""Saves and each save's run per kind.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ACTIVE = "status IN ('queued', 'running')"


def upgrade() -> None:
    op.create_table(
        "saves",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("kinds", sa.String(64), nullable=False),
        sa.Column("full", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("spotify_requests", sa.BigInteger, nullable=False),
        sa.Column("error_json", sa.Text, nullable=True),
    )
    op.create_index("ix_saves_user_created", "saves", ["user_id", "created_at"])
    op.create_index(
        "ux_saves_one_active_per_user",
        "saves",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    op.create_table(
        "save_kinds",
        sa.Column(
            "save_id",
            sa.String(32),
            sa.ForeignKey("saves.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.String(255), nullable=False),
        sa.Column("item_count", sa.BigInteger, nullable=False),
        sa.Column("spotify_requests", sa.BigInteger, nullable=False),
        sa.Column("done", sa.BigInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=True),
        sa.Column("error_code", sa.String(64), nullable=False),
        sa.Column("error_message", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("save_kinds")
    op.drop_index("ux_saves_one_active_per_user", table_name="saves")
    op.drop_index("ix_saves_user_created", table_name="saves")
    op.drop_table("saves")
