"""Sessions beyond a login's JWT: the revocation feed, personal access tokens, recovery codes
and failed recovery attempts.

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SEQUENCE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "revocation_events",
        sa.Column("sequence", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("subject", sa.String(80), nullable=False, index=True),
        sa.Column("token_id", sa.String(64), nullable=True),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("authorization_lost", sa.Boolean, nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True, index=True),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "personal_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(32),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(32),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "recovery_failures",
        sa.Column("id", SEQUENCE, primary_key=True, autoincrement=True),
        sa.Column("client_address", sa.String(64), nullable=False, index=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    # What happened before the feed existed, so a gateway that verifies tokens itself still
    # refuses a JWT logged out before the upgrade, and knows whose authorization is lost.
    now = datetime.now(UTC)
    events = sa.table(
        "revocation_events",
        sa.column("subject", sa.String),
        sa.column("token_id", sa.String),
        sa.column("user_id", sa.String),
        sa.column("authorization_lost", sa.Boolean),
        sa.column("expires_at", sa.DateTime(timezone=True)),
        sa.column("written_at", sa.DateTime(timezone=True)),
    )
    revoked = sa.table(
        "revoked_tokens",
        sa.column("token_id", sa.String),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    users = sa.table(
        "users", sa.column("id", sa.String), sa.column("authorization_lost_at", sa.DateTime)
    )
    op.execute(
        events.insert().from_select(
            ["subject", "token_id", "expires_at", "written_at"],
            sa.select(
                sa.literal("token:") + revoked.c.token_id,
                revoked.c.token_id,
                revoked.c.expires_at,
                sa.literal(now, sa.DateTime(timezone=True)),
            ).where(revoked.c.expires_at > sa.literal(now, sa.DateTime(timezone=True))),
        )
    )
    op.execute(
        events.insert().from_select(
            ["subject", "user_id", "authorization_lost", "written_at"],
            sa.select(
                sa.literal("user:") + users.c.id,
                users.c.id,
                sa.literal(True),
                sa.literal(now, sa.DateTime(timezone=True)),
            ).where(users.c.authorization_lost_at.is_not(None)),
        )
    )


def downgrade() -> None:
    for table in ("recovery_failures", "recovery_codes", "personal_tokens", "revocation_events"):
        op.drop_table(table)
