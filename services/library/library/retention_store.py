"""The library's queries for retention: each user's rule, deleting saves, and the versions a
user's remaining saves hold, read under the user's lock (the one starting a save takes)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from kit.database import Database, UtcDateTime
from library.retention import Rule
from library.saves import ACTIVE, KIND_SUCCEEDED, READABLE
from library.store import Base, SaveKindRow, SaveRow, lock_user


class RetentionRuleRow(Base):
    __tablename__ = "retention_rules"

    user_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    keep_last: Mapped[int] = mapped_column(sa.Integer)
    keep_daily: Mapped[int] = mapped_column(sa.Integer)
    keep_weekly: Mapped[int] = mapped_column(sa.Integer)
    keep_monthly: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class UserHold:
    """What is read while the user's lock is held."""

    def __init__(self, session: Session, user_id: str) -> None:
        self._session = session
        self._user_id = user_id

    def has_active_save(self) -> bool:
        return (
            self._session.scalar(
                sa.select(sa.func.count())
                .select_from(SaveRow)
                .where(SaveRow.user_id == self._user_id, SaveRow.status.in_(ACTIVE))
            )
            or 0
        ) > 0

    def versions(self) -> dict[str, set[str]]:
        """Per kind, the versions the user's saves hold (those that completed it)."""
        rows = self._session.execute(
            sa.select(SaveKindRow.kind, SaveKindRow.version)
            .join(SaveRow, SaveRow.id == SaveKindRow.save_id)
            .where(
                SaveRow.user_id == self._user_id,
                SaveRow.status.in_(READABLE),
                SaveKindRow.status == KIND_SUCCEEDED,
                SaveKindRow.version != "",
            )
        )
        held: dict[str, set[str]] = {}
        for kind, version in rows:
            held.setdefault(kind, set()).add(version)
        return held


class RetentionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def rule(self, user_id: str) -> Rule | None:
        with self._db.read() as s:
            row = s.get(RetentionRuleRow, user_id)
            if row is None:
                return None
            return Rule(row.keep_last, row.keep_daily, row.keep_weekly, row.keep_monthly)

    def put_rule(self, user_id: str, rule: Rule) -> None:
        with self._db.write() as s:
            s.merge(
                RetentionRuleRow(
                    user_id=user_id,
                    keep_last=rule.last,
                    keep_daily=rule.daily,
                    keep_weekly=rule.weekly,
                    keep_monthly=rule.monthly,
                    updated_at=datetime.now(UTC),
                )
            )

    def delete_saves(self, user_id: str, save_ids: Sequence[str]) -> int:
        """Deletes those of the user's saves that have ended (with their kinds' runs);
        returns how many went."""
        if not save_ids:
            return 0
        with self._db.write() as s:
            ended = list(
                s.scalars(
                    sa.select(SaveRow.id).where(
                        SaveRow.user_id == user_id,
                        SaveRow.id.in_(list(save_ids)),
                        SaveRow.status.not_in(ACTIVE),
                    )
                )
            )
            if ended:
                s.execute(sa.delete(SaveKindRow).where(SaveKindRow.save_id.in_(ended)))
                s.execute(sa.delete(SaveRow).where(SaveRow.id.in_(ended)))
        return len(ended)

    def users(self) -> list[str]:
        """Every user with a save."""
        with self._db.read() as s:
            return list(s.scalars(sa.select(SaveRow.user_id).distinct().order_by(SaveRow.user_id)))

    @contextmanager
    def holding(self, user_id: str) -> Iterator[UserHold]:
        """A write transaction holding the user's lock: no save of the user starts until it
        ends."""
        with self._db.write() as s:
            lock_user(s, user_id)
            yield UserHold(s, user_id)
