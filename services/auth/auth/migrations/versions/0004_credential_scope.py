"""The scopes a person granted at their last login, beside their Spotify credentials: a
restore needs the write scopes, asked for only at a person's first restore.

Revision ID: 0004_credential_scope
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_credential_scope"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("spotify_credentials") as batch:
        batch.add_column(sa.Column("scope", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("spotify_credentials") as batch:
        batch.drop_column("scope")
