"""Each queued or running save's owner (the replica running it) and lease: the owner's
heartbeat extends the lease, and a save whose lease has passed is ended as interrupted by
whichever replica looks next (library.runs), so several replicas share one database.

Revision ID: 0002_save_leases
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_save_leases"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Saves made before this have neither: a save without a lease has no live owner.
    op.add_column("saves", sa.Column("owner", sa.String(64), nullable=True))
    op.add_column("saves", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("saves") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("owner")
