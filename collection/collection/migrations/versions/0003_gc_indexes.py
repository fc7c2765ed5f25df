"""Indexes on what entries refer to (objects, detail objects, child listings): deleting an
object or a listing checks that no entry still refers to it (the foreign keys), which
without them reads every entry once per row deleted (collection.store.gc).

Revision ID: 0003_gc_indexes
Revises: 0002_pins
"""

from alembic import op

revision = "0003_gc_indexes"
down_revision = "0002_pins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_entries_object", "entries", ["object_digest"])
    op.create_index("ix_entries_detail", "entries", ["detail_digest"])
    op.create_index("ix_entries_children", "entries", ["children_id"])


def downgrade() -> None:
    op.drop_index("ix_entries_children", table_name="entries")
    op.drop_index("ix_entries_detail", table_name="entries")
    op.drop_index("ix_entries_object", table_name="entries")
