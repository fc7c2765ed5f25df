"""The library's queries for automatic saves: each user's schedule, the ones due, and taking
a due one (so that one scheduler, of any number of replicas, starts it)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from kit.database import Database, UtcDateTime
from library.schedule import Schedule
from library.store import Base


class ScheduleRow(Base):
    __tablename__ = "save_schedules"

    user_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    # "daily" or "weekly"; a user without automatic saves has no row.
    every: Mapped[str] = mapped_column(sa.String(16))
    next_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


def _schedule(row: ScheduleRow) -> Schedule:
    return Schedule(row.user_id, row.every, row.next_at)


class ScheduleStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, user_id: str) -> Schedule | None:
        with self._db.read() as s:
            row = s.get(ScheduleRow, user_id)
            return None if row is None else _schedule(row)

    def put(self, schedule: Schedule, now: datetime) -> None:
        with self._db.write() as s:
            s.merge(
                ScheduleRow(
                    user_id=schedule.user_id,
                    every=schedule.every,
                    next_at=schedule.next_at,
                    updated_at=now,
                )
            )

    def delete(self, user_id: str) -> None:
        with self._db.write() as s:
            s.execute(sa.delete(ScheduleRow).where(ScheduleRow.user_id == user_id))

    def due(self, now: datetime, limit: int) -> list[Schedule]:
        """The schedules due at `now`, longest overdue first."""
        with self._db.read() as s:
            rows = s.scalars(
                sa.select(ScheduleRow)
                .where(ScheduleRow.next_at <= now)
                .order_by(ScheduleRow.next_at, ScheduleRow.user_id)
                .limit(limit)
            )
            return [_schedule(row) for row in rows]

    def move(self, schedule: Schedule, next_at: datetime, now: datetime) -> bool:
        """Moves the schedule's next run from `schedule.next_at` to `next_at`, unless it
        changed meanwhile (another scheduler took it, or the user changed it): True when
        this call moved it. A compare-and-set, so two schedulers never both take one run."""
        with self._db.write() as s:
            moved = s.execute(
                sa.update(ScheduleRow)
                .where(
                    ScheduleRow.user_id == schedule.user_id,
                    ScheduleRow.every == schedule.every,
                    ScheduleRow.next_at == schedule.next_at,
                )
                .values(next_at=next_at, updated_at=now)
            )
            return bool(getattr(moved, "rowcount", 0) == 1)
