"""The restores' tables (in the library's database, on a migration branch of their own)
and every query on them."""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.database import Database, UtcDateTime
from library.restores.model import ACTIVE, Restore, Selection, Target


class Base(DeclarativeBase):
    pass


class RestoreRow(Base):
    __tablename__ = "restores"
    __table_args__ = (sa.Index("ix_restores_user_created", "user_id", "created_at"),)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))
    dry_run: Mapped[bool] = mapped_column(sa.Boolean)
    mode: Mapped[str] = mapped_column(sa.String(16))
    source_save: Mapped[str] = mapped_column(sa.String(32))
    source_import: Mapped[str] = mapped_column(sa.String(32))
    selection_json: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    plan_json: Mapped[str] = mapped_column(sa.Text)
    done: Mapped[int] = mapped_column(sa.BigInteger)
    total: Mapped[int] = mapped_column(sa.BigInteger)
    spotify_requests: Mapped[int] = mapped_column(sa.BigInteger)
    error_code: Mapped[str] = mapped_column(sa.String(64))
    error_message: Mapped[str] = mapped_column(sa.Text)


class RestoreTargetRow(Base):
    __tablename__ = "restore_targets"

    restore_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("restores.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    source_id: Mapped[str] = mapped_column(sa.String(255))
    target_id: Mapped[str] = mapped_column(sa.String(255))
    state: Mapped[str] = mapped_column(sa.String(16))
    done: Mapped[int] = mapped_column(sa.BigInteger)
    total: Mapped[int] = mapped_column(sa.BigInteger)


def _restore(row: RestoreRow) -> Restore:
    return Restore(
        id=row.id,
        user_id=row.user_id,
        status=row.status,
        dry_run=row.dry_run,
        mode=row.mode,
        source_save=row.source_save,
        source_import=row.source_import,
        selection=Selection.from_json(json.loads(row.selection_json)),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        plan=json.loads(row.plan_json),
        done=row.done,
        total=row.total,
        spotify_requests=row.spotify_requests,
        error_code=row.error_code,
        error_message=row.error_message,
    )


def _fill(row: RestoreRow, restore: Restore) -> None:
    row.status = restore.status
    row.started_at = restore.started_at
    row.finished_at = restore.finished_at
    row.plan_json = json.dumps(restore.plan)
    row.done = restore.done
    row.total = restore.total
    row.spotify_requests = restore.spotify_requests
    row.error_code = restore.error_code
    row.error_message = restore.error_message


class RestoreStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, restore: Restore, targets: list[Target]) -> None:
        """The restore and its targets, at once."""
        with self._db.write() as session:
            row = RestoreRow(
                id=restore.id,
                user_id=restore.user_id,
                dry_run=restore.dry_run,
                mode=restore.mode,
                source_save=restore.source_save,
                source_import=restore.source_import,
                selection_json=json.dumps(restore.selection.to_json()),
                created_at=restore.created_at,
            )
            _fill(row, restore)
            session.add(row)
            session.add_all(
                RestoreTargetRow(
                    restore_id=restore.id,
                    position=t.position,
                    kind=t.kind,
                    source_id=t.source_id,
                    target_id=t.target_id,
                    state=t.state,
                    done=t.done,
                    total=t.total,
                )
                for t in targets
            )

    def add_targets(self, restore: Restore, targets: list[Target]) -> None:
        """The targets a run planned, with the restore's plan, at once."""
        with self._db.write() as session:
            session.add_all(
                RestoreTargetRow(
                    restore_id=restore.id,
                    position=t.position,
                    kind=t.kind,
                    source_id=t.source_id,
                    target_id=t.target_id,
                    state=t.state,
                    done=t.done,
                    total=t.total,
                )
                for t in targets
            )
            row = session.get(RestoreRow, restore.id)
            if row is not None:
                _fill(row, restore)

    def save(self, restore: Restore) -> None:
        with self._db.write() as session:
            row = session.get(RestoreRow, restore.id)
            if row is not None:
                _fill(row, restore)

    def get(self, user_id: str, restore_id: str) -> Restore | None:
        with self._db.read() as session:
            row = session.get(RestoreRow, restore_id)
            return _restore(row) if row is not None and row.user_id == user_id else None

    def page(self, user_id: str, offset: int, limit: int) -> tuple[list[Restore], int]:
        with self._db.read() as session:
            total = session.scalar(
                sa.select(sa.func.count())
                .select_from(RestoreRow)
                .where(RestoreRow.user_id == user_id)
            )
            rows = session.scalars(
                sa.select(RestoreRow)
                .where(RestoreRow.user_id == user_id)
                .order_by(RestoreRow.created_at.desc(), RestoreRow.id.desc())
                .offset(offset)
                .limit(limit)
            )
            return [_restore(r) for r in rows], int(total or 0)

    def active(self) -> list[Restore]:
        """Restores a stopped process left queued or running: to resume."""
        with self._db.read() as session:
            rows = session.scalars(
                sa.select(RestoreRow)
                .where(RestoreRow.status.in_(ACTIVE))
                .order_by(RestoreRow.created_at)
            )
            return [_restore(r) for r in rows]

    def targets(self, restore_id: str) -> list[Target]:
        with self._db.read() as session:
            rows = session.scalars(
                sa.select(RestoreTargetRow)
                .where(RestoreTargetRow.restore_id == restore_id)
                .order_by(RestoreTargetRow.position)
            )
            return [
                Target(r.position, r.kind, r.source_id, r.target_id, r.state, r.done, r.total)
                for r in rows
            ]

    def save_target(self, restore_id: str, target: Target, restore: Restore) -> None:
        """A target's progress and the restore's, in one transaction: what a batch wrote is
        recorded as one step."""
        with self._db.write() as session:
            row = session.get(RestoreTargetRow, (restore_id, target.position))
            if row is not None:
                row.target_id = target.target_id
                row.state = target.state
                row.done = target.done
                row.total = target.total
            restore_row = session.get(RestoreRow, restore_id)
            if restore_row is not None:
                _fill(restore_row, restore)
