"""Imports (library.restores.imports): libraries brought in from files, restores' sources.

Revision ID: 0003_imports
Revises: 0002_restores
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_imports"
down_revision = "0002_restores"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("format", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_json", sa.Text, nullable=False),
    )
    op.create_index("ix_imports_user_created", "imports", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_imports_user_created", table_name="imports")
    op.drop_table("imports")
