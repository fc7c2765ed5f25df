"""The ledger: events of each save's completed kinds, their items, and which save kinds have
them (library.ledger_store). Saves made before it are backfilled by the library at start
(library.ledger.Backfill), from the entity services' stored versions.

Revision ID: 0002_ledger
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_ledger"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_saves",
        sa.Column("save_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("base_save_id", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ledger_saves_user_kind_at", "ledger_saves", ["user_id", "kind", "at"])
    op.create_table(
        "ledger_items",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_table(
        "ledger_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer, "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("save_id", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("playlist_id", sa.String(255), nullable=True),
        sa.Column("uri", sa.Text, nullable=True),
        sa.Column("item_digest", sa.String(64), nullable=True),
        sa.Column("occurrence", sa.Integer, nullable=False),
        sa.Column("position", sa.BigInteger, nullable=True),
        sa.Column("from_position", sa.BigInteger, nullable=True),
        sa.Column("added_at", sa.String(64), nullable=True),
        sa.Column("added_by", sa.Text, nullable=True),
        sa.Column("before", sa.Text, nullable=True),
        sa.Column("after", sa.Text, nullable=True),
    )
    op.create_index("ix_ledger_events_user_at", "ledger_events", ["user_id", "at", "id"])
    op.create_index(
        "ix_ledger_events_user_playlist_at", "ledger_events", ["user_id", "playlist_id", "at", "id"]
    )
    op.create_index("ix_ledger_events_user_uri_at", "ledger_events", ["user_id", "uri", "at", "id"])
    op.create_index("ix_ledger_events_save", "ledger_events", ["save_id"])


def downgrade() -> None:
    op.drop_table("ledger_events")
    op.drop_table("ledger_items")
    op.drop_table("ledger_saves")
