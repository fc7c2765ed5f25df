"""Objects, listings, entries and versions: every entity service's collection tables.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "objects",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "listings",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=True, unique=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "entries",
        sa.Column(
            "listing_id",
            sa.String(32),
            sa.ForeignKey("listings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("item_id", sa.String(255), nullable=True),
        sa.Column("uri", sa.Text, nullable=True),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("tag", sa.String(255), nullable=True),
        sa.Column("object_digest", sa.String(64), sa.ForeignKey("objects.digest"), nullable=False),
        sa.Column("detail_digest", sa.String(64), sa.ForeignKey("objects.digest"), nullable=True),
        sa.Column("children_id", sa.String(32), sa.ForeignKey("listings.id"), nullable=True),
        sa.Column("withheld", sa.Boolean, nullable=False),
        # Rows are small and found by their key: one B-tree instead of a table and an index.
        sqlite_with_rowid=False,
    )
    op.create_index("ix_entries_listing_item", "entries", ["listing_id", "item_id"])
    op.create_table(
        "versions",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("listing_id", sa.String(32), sa.ForeignKey("listings.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("versions")
    op.drop_index("ix_entries_listing_item", table_name="entries")
    op.drop_table("entries")
    op.drop_table("listings")
    op.drop_table("objects")
