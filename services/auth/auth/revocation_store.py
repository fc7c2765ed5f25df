"""The revocation feed's table: one row per subject (a token or a user), replaced on every
change, so "everything after N" stays as small as what still matters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from auth.revocations import FeedEvent, TokenRevoked, UserAuthorization
from auth.store import Base, RevokedTokenRow
from kit.database import Database, UtcDateTime

# SQLite's INTEGER PRIMARY KEY is its rowid (BIGINT would not count up by itself).
Sequence = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class RevocationEventRow(Base):
    __tablename__ = "revocation_events"
    # AUTOINCREMENT: SQLite would otherwise reuse the id of a deleted last row, and a watcher
    # past that id would never see the change that took it again.
    __table_args__ = {"sqlite_autoincrement": True}

    sequence: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    # "token:<id>" or "user:<id>": a newer row of the same subject replaces the older one.
    subject: Mapped[str] = mapped_column(sa.String(80), index=True)
    token_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    user_id: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    authorization_lost: Mapped[bool | None] = mapped_column(sa.Boolean, nullable=True)
    # A revoked token's own expiry: after it the row can go. None: never expires.
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True, index=True)
    written_at: Mapped[datetime] = mapped_column(UtcDateTime())


def _event(row: RevocationEventRow) -> FeedEvent:
    if row.token_id is not None:
        return TokenRevoked(row.sequence, row.token_id, row.expires_at)
    return UserAuthorization(row.sequence, row.user_id or "", bool(row.authorization_lost))


class RevocationStore:
    def __init__(self, db: Database, on_commit: Callable[[], None] = lambda: None) -> None:
        self._db = db
        # Called after a transaction that wrote a change commits: wakes this process's watchers.
        self._on_commit = on_commit

    def user_authorization(self, s: Session, user_id: str, lost: bool, now: datetime) -> None:
        """A user's Spotify authorization as it now is, in the caller's transaction."""
        self._append(
            s,
            RevocationEventRow(
                subject=f"user:{user_id}", user_id=user_id, written_at=now, authorization_lost=lost
            ),
        )

    def token_revoked(
        self, s: Session, token_id: str, expires_at: datetime | None, now: datetime
    ) -> None:
        """A token that no longer works, in the caller's transaction; expired ones go."""
        s.execute(sa.delete(RevocationEventRow).where(RevocationEventRow.expires_at < now))
        self._append(
            s,
            RevocationEventRow(
                subject=f"token:{token_id}",
                token_id=token_id,
                expires_at=expires_at,
                written_at=now,
            ),
        )

    def revoke_login(self, token_id: str, expires_at: datetime, now: datetime) -> None:
        """A login JWT revoked (logout): checked by Authenticate, and sent to watchers."""
        with self._db.write() as s:
            s.merge(RevokedTokenRow(token_id=token_id, expires_at=expires_at))
            s.execute(sa.delete(RevokedTokenRow).where(RevokedTokenRow.expires_at < now))
            self.token_revoked(s, token_id, expires_at, now)

    def head(self) -> int:
        with self._db.read() as s:
            return int(s.scalar(sa.select(sa.func.max(RevocationEventRow.sequence))) or 0)

    def events_after(
        self, sequence: int, *, through: int | None, limit: int, regained: bool
    ) -> list[FeedEvent]:
        query = (
            sa.select(RevocationEventRow)
            .where(RevocationEventRow.sequence > sequence)
            .order_by(RevocationEventRow.sequence)
            .limit(limit)
        )
        if through is not None:
            query = query.where(RevocationEventRow.sequence <= through)
        if not regained:
            query = query.where(RevocationEventRow.authorization_lost.is_not(False))
        with self._db.read() as s:
            return [_event(row) for row in s.scalars(query)]

    def _append(self, s: Session, row: RevocationEventRow) -> None:
        # The caller's own changes first, so the lock below is the transaction's last.
        s.flush()
        if s.get_bind().dialect.name == "postgresql":
            # Sequences must become visible in order, or a watcher past N would never see a
            # change numbered below N that committed after it. Writers of changes take turns
            # until their commit (it is the last thing they do, so no deadlock); SQLite's
            # writers are serial already.
            s.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('tapedeck-revocations'))"))
        s.add(row)
        s.flush()
        s.execute(
            sa.delete(RevocationEventRow).where(
                RevocationEventRow.subject == row.subject,
                RevocationEventRow.sequence < row.sequence,
            )
        )
        sa.event.listen(s, "after_commit", lambda _session: self._on_commit(), once=True)
