"""Personal access tokens as stored: by the hash of their secret, never the secret."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from auth.personal_tokens import PersonalToken
from auth.revocation_store import RevocationStore
from auth.store import Base, UserRow
from kit import errors
from kit.database import Database, UtcDateTime


class PersonalTokenRow(Base):
    __tablename__ = "personal_tokens"

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(32), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # SHA-256 of the secret (hex).
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


def _token(row: PersonalTokenRow) -> PersonalToken:
    return PersonalToken(row.id, row.name, row.created_at, row.expires_at)


class PersonalTokenStore:
    def __init__(self, db: Database, revocations: RevocationStore) -> None:
        self._db = db
        self._revocations = revocations

    def add_personal_token(
        self, user_id: str, token: PersonalToken, secret_hash: str, max_per_user: int
    ) -> None:
        with self._db.write() as s:
            if s.get(UserRow, user_id) is None:
                raise errors.NotFound("no such user")
            held = s.scalar(sa.select(sa.func.count()).where(PersonalTokenRow.user_id == user_id))
            if (held or 0) >= max_per_user:
                raise errors.FailedPrecondition(
                    f"at most {max_per_user} personal tokens; delete one first"
                )
            s.add(
                PersonalTokenRow(
                    id=token.id,
                    user_id=user_id,
                    name=token.name,
                    secret_hash=secret_hash,
                    created_at=token.created_at,
                    expires_at=token.expires_at,
                )
            )

    def personal_tokens(self, user_id: str) -> list[PersonalToken]:
        with self._db.read() as s:
            rows = s.scalars(
                sa.select(PersonalTokenRow)
                .where(PersonalTokenRow.user_id == user_id)
                .order_by(PersonalTokenRow.created_at, PersonalTokenRow.id)
            )
            return [_token(row) for row in rows]

    def delete_personal_token(self, user_id: str, token_id: str, now: datetime) -> bool:
        """Deletes the user's token and tells watchers; False when the user has no such one."""
        with self._db.write() as s:
            row = s.get(PersonalTokenRow, token_id)
            if row is None or row.user_id != user_id:
                return False
            s.delete(row)
            self._revocations.token_revoked(s, token_id, row.expires_at, now)
            return True

    def find_personal_token(self, secret_hash: str) -> tuple[str, PersonalToken] | None:
        with self._db.read() as s:
            row = s.scalars(
                sa.select(PersonalTokenRow).where(PersonalTokenRow.secret_hash == secret_hash)
            ).first()
            return (row.user_id, _token(row)) if row else None
