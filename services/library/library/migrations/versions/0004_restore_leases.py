"""Each queued or running restore's owner (the replica running it), lease and cancel request:
the owner's heartbeat extends the lease; a restore whose lease has passed is resumed by
whichever replica looks next (one conditional update takes it); a cancel asked through any
replica is a flag its owner notices (library.restores.jobs).

Revision ID: 0004_restore_leases
Revises: 0003_imports
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_restore_leases"
down_revision = "0003_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Restores made before this have no lease: the next replica to look resumes them.
    op.add_column("restores", sa.Column("owner", sa.String(64), nullable=True))
    op.add_column("restores", sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "restores",
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("restores") as batch:
        batch.drop_column("cancel_requested")
        batch.drop_column("lease_until")
        batch.drop_column("owner")
