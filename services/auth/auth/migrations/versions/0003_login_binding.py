"""Login states bound to the browser (a hash of the login cookie's nonce), with their PKCE
verifier and the client address they are capped by.

Revision ID: 0003
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A login pending during the upgrade has no nonce to check: it could never complete.
    op.execute("DELETE FROM login_states")
    with op.batch_alter_table("login_states") as table:
        table.add_column(sa.Column("browser_nonce_hash", sa.String(64), nullable=False))
        table.add_column(sa.Column("code_verifier", sa.String(128), nullable=False))
        table.add_column(sa.Column("client_address", sa.String(64), nullable=False))
        table.create_index("ix_login_states_client_address", ["client_address"])


def downgrade() -> None:
    with op.batch_alter_table("login_states") as table:
        table.drop_index("ix_login_states_client_address")
        table.drop_column("client_address")
        table.drop_column("code_verifier")
        table.drop_column("browser_nonce_hash")
