"""Recovery codes as stored (hashed), and failed attempts per client address."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from auth.revocation_store import Sequence
from auth.store import Base, UserRow
from kit import errors
from kit.database import Database, UtcDateTime


class RecoveryCodeRow(Base):
    __tablename__ = "recovery_codes"

    # SHA-256 (hex) of the code without dashes, upper case.
    code_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RecoveryFailureRow(Base):
    __tablename__ = "recovery_failures"

    id: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    client_address: Mapped[str] = mapped_column(sa.String(64), index=True)
    failed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class RecoveryCodeStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def replace_recovery_codes(self, user_id: str, code_hashes: list[str], now: datetime) -> None:
        with self._db.write() as s:
            if s.get(UserRow, user_id) is None:
                raise errors.NotFound("no such user")
            s.execute(sa.delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id))
            s.add_all(
                RecoveryCodeRow(code_hash=h, user_id=user_id, created_at=now) for h in code_hashes
            )

    def take_recovery_code(self, code_hash: str) -> str | None:
        """The code's user, the code deleted (single use: of two at once, one wins)."""
        with self._db.write() as s:
            user_id = s.scalar(
                sa.delete(RecoveryCodeRow)
                .where(RecoveryCodeRow.code_hash == code_hash)
                .returning(RecoveryCodeRow.user_id)
            )
            return str(user_id) if user_id is not None else None

    def recovery_failures(
        self, client_address: str, since: datetime
    ) -> tuple[int, datetime | None]:
        """How many attempts from this address failed since `since`, and the oldest's time."""
        with self._db.read() as s:
            count, oldest = s.execute(
                sa.select(sa.func.count(), sa.func.min(RecoveryFailureRow.failed_at)).where(
                    RecoveryFailureRow.client_address == client_address,
                    RecoveryFailureRow.failed_at >= since,
                )
            ).one()
            return int(count), oldest

    def add_recovery_failure(
        self, client_address: str, now: datetime, prune_before: datetime
    ) -> None:
        with self._db.write() as s:
            s.execute(
                sa.delete(RecoveryFailureRow).where(RecoveryFailureRow.failed_at < prune_before)
            )
            s.add(RecoveryFailureRow(client_address=client_address, failed_at=now))
