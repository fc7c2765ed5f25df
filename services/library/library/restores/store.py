"""The restores' tables (in the library's database, on a migration branch of their own)
and every query on them.

Several replicas share them: a queued or running restore is its owner's while the owner's
heartbeat renews its lease; a run's writes land only while its replica owns the restore and
it is not ended (an ended restore is final), so a replica that lost its lease, or a restore
cancelled while queued, changes nothing."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from kit.database import Database, UtcDateTime
from library.restores.model import ACTIVE, CANCELLED, QUEUED, Restore, Selection, Target

# What a run's write found (save, save_target, add_targets): written and the restore still
# this replica's; written, and a cancel was asked; or not written: the restore ended or
# another replica took it over.
HELD, CANCEL, LOST = "held", "cancel", "lost"


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
    # The replica running it and until when its heartbeat holds it, and a cancel asked
    # through any replica; written only by add, renew, take_expired, request_cancel and
    # release, never by a run's progress (_fill).
    owner: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(sa.Boolean, default=False)


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
        cancel_requested=bool(row.cancel_requested),
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

    def add(
        self,
        restore: Restore,
        targets: list[Target],
        owner: str | None = None,
        lease_until: datetime | None = None,
    ) -> None:
        """The restore and its targets, at once; `owner`'s until `lease_until`."""
        with self._db.write() as session:
            row = RestoreRow(
                owner=owner,
                lease_until=lease_until,
                cancel_requested=False,
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

    def add_targets(self, restore: Restore, targets: list[Target], owner: str | None = None) -> str:
        """The targets a run planned, with the restore's plan, at once (HELD, CANCEL or
        LOST: see `save`)."""
        with self._db.write() as session:
            row = self._held(session, restore.id, owner)
            if row is None:
                return LOST
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
            _fill(row, restore)
            return CANCEL if row.cancel_requested else HELD

    def save(self, restore: Restore, owner: str | None = None) -> str:
        """Writes the restore's state while it is active and `owner`'s (any owner: None):
        HELD, or CANCEL when a cancel was asked; LOST, writing nothing, once it is ended
        (final) or another replica holds it."""
        with self._db.write() as session:
            row = self._held(session, restore.id, owner)
            if row is None:
                return LOST
            _fill(row, restore)
            return CANCEL if row.cancel_requested else HELD

    @staticmethod
    def _held(session: Session, restore_id: str, owner: str | None) -> RestoreRow | None:
        """The restore's row, locked, if a run may still write it."""
        row = session.scalars(
            sa.select(RestoreRow).where(RestoreRow.id == restore_id).with_for_update()
        ).first()
        if row is None or row.status not in ACTIVE:
            return None
        if owner is not None and row.owner != owner:
            return None
        return row

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

    def save_target(
        self, restore_id: str, target: Target, restore: Restore, owner: str | None = None
    ) -> str:
        """A target's progress and the restore's, in one transaction: what a batch wrote is
        recorded as one step (HELD, CANCEL or LOST: see `save`)."""
        with self._db.write() as session:
            restore_row = self._held(session, restore_id, owner)
            if restore_row is None:
                return LOST
            row = session.get(RestoreTargetRow, (restore_id, target.position))
            if row is not None:
                row.target_id = target.target_id
                row.state = target.state
                row.done = target.done
                row.total = target.total
            _fill(restore_row, restore)
            return CANCEL if restore_row.cancel_requested else HELD

    # Leases (several replicas)

    def renew(
        self, owner: str, restore_ids: Collection[str], until: datetime
    ) -> tuple[set[str], set[str]]:
        """Extends `owner`'s leases of those restores still active; answers which are still
        its own (active or ended; one missing was taken over by another replica), and which
        of those a cancel was asked for."""
        if not restore_ids:
            return set(), set()
        mine = (RestoreRow.id.in_(list(restore_ids)), RestoreRow.owner == owner)
        with self._db.write() as session:
            session.execute(
                sa.update(RestoreRow)
                .where(*mine, RestoreRow.status.in_(ACTIVE))
                .values(lease_until=until)
            )
            rows = session.execute(
                sa.select(RestoreRow.id, RestoreRow.cancel_requested).where(*mine)
            )
            held, cancel = set(), set()
            for restore_id, requested in rows:
                held.add(restore_id)
                if requested:
                    cancel.add(restore_id)
            return held, cancel

    def take_expired(self, owner: str, now: datetime, until: datetime) -> list[Restore]:
        """Makes `owner`'s (leased until `until`) every active restore whose lease passed
        before `now`, or that has none (released by a stopping replica, or made before
        leases), oldest first. Each is taken by one conditional update, so of replicas
        looking at once one takes it, and an owner that renewed meanwhile keeps it."""
        expired = sa.or_(RestoreRow.lease_until.is_(None), RestoreRow.lease_until < now)
        active = RestoreRow.status.in_(ACTIVE)
        with self._db.read() as session:
            ids = list(
                session.scalars(
                    sa.select(RestoreRow.id).where(active, expired).order_by(RestoreRow.created_at)
                )
            )
        taken = []
        for restore_id in ids:
            with self._db.write() as session:
                result = session.execute(
                    sa.update(RestoreRow)
                    .where(RestoreRow.id == restore_id, active, expired)
                    .values(owner=owner, lease_until=until)
                )
                if getattr(result, "rowcount", 0) == 1:
                    taken.append(restore_id)
        if not taken:
            return []
        with self._db.read() as session:
            rows = session.scalars(
                sa.select(RestoreRow)
                .where(RestoreRow.id.in_(taken))
                .order_by(RestoreRow.created_at)
            )
            return [_restore(r) for r in rows]

    def release(self, owner: str, restore_ids: Collection[str]) -> None:
        """Lets go of `owner`'s leases of those restores (a replica stopping cleanly): the
        next replica to look, or this one started again, resumes them at once."""
        if not restore_ids:
            return
        with self._db.write() as session:
            session.execute(
                sa.update(RestoreRow)
                .where(
                    RestoreRow.id.in_(list(restore_ids)),
                    RestoreRow.owner == owner,
                    RestoreRow.status.in_(ACTIVE),
                )
                .values(lease_until=None)
            )

    def request_cancel(self, user_id: str, restore_id: str, now: datetime) -> None:
        """Asks for the restore's cancel, through any replica: a queued one ends cancelled
        at once (its run, if it begins, finds it ended); a running one's owner sees the
        flag at its next batch or heartbeat and ends it cancelled."""
        mine = (RestoreRow.id == restore_id, RestoreRow.user_id == user_id)
        with self._db.write() as session:
            session.execute(
                sa.update(RestoreRow)
                .where(*mine, RestoreRow.status == QUEUED)
                .values(status=CANCELLED, finished_at=now, cancel_requested=True)
            )
            session.execute(
                sa.update(RestoreRow)
                .where(*mine, RestoreRow.status.in_(ACTIVE))
                .values(cancel_requested=True)
            )
