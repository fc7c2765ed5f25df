"""Pins: the sealed listings a running sync holds on to (its base version's listing, the
listings it sealed or shared), so the garbage collection keeps them until the sync ends.

Revision ID: 0002_pins
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_pins"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pins",
        sa.Column("sync_id", sa.String(32), primary_key=True),
        sa.Column("listing_id", sa.String(32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("pins")
