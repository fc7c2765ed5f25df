"""Restores and each restore's targets (library.restores.store). A branch of its own from
0001: kit.database upgrades every head, so it needs no merge with other changes made
beside it.

Revision ID: 0002_restores
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_restores"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "restores",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("source_save", sa.String(32), nullable=False),
        sa.Column("source_import", sa.String(32), nullable=False),
        sa.Column("selection_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("plan_json", sa.Text, nullable=False),
        sa.Column("done", sa.BigInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("spotify_requests", sa.BigInteger, nullable=False),
        sa.Column("error_code", sa.String(64), nullable=False),
        sa.Column("error_message", sa.Text, nullable=False),
    )
    op.create_index("ix_restores_user_created", "restores", ["user_id", "created_at"])
    op.create_table(
        "restore_targets",
        sa.Column(
            "restore_id",
            sa.String(32),
            sa.ForeignKey("restores.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("target_id", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("done", sa.BigInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("restore_targets")
    op.drop_index("ix_restores_user_created", table_name="restores")
    op.drop_table("restores")
