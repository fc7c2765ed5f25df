"""The library service's tables (saves, and each save's run per kind) and every query on
them. Item data is not here: it lives in the entity services."""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from kit.database import Database, UtcDateTime
from library.entities import Progress
from library.ledger import Batch
from library.ledger_store import save_ended, write_batch
from library.saves import ACTIVE, KIND_SUCCEEDED, READABLE, SUCCEEDED, KindRun, Save, SaveError

_ACTIVE_SQL = "status IN ('queued', 'running')"


class Base(DeclarativeBase):
    pass


class SaveRow(Base):
    __tablename__ = "saves"
    __table_args__ = (
        sa.Index("ix_saves_user_created", "user_id", "created_at"),
        # At most one queued/running save per user, even with racing requests or replicas;
        # also what finds the active saves whose lease has passed (take_expired).
        sa.Index(
            "ux_saves_one_active_per_user",
            "user_id",
            unique=True,
            sqlite_where=sa.text(_ACTIVE_SQL),
            postgresql_where=sa.text(_ACTIVE_SQL),
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16))
    # The chosen kinds, comma-separated, in canonical order.
    kinds: Mapped[str] = mapped_column(sa.String(64))
    full: Mapped[bool] = mapped_column(sa.Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    spotify_requests: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # {"code", "message", "kinds"} when the save did not succeed.
    error_json: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # The replica running the save and until when its heartbeat holds it (library.runs);
    # written only by add, renew and take_expired, never by put.
    owner: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class SaveKindRow(Base):
    __tablename__ = "save_kinds"

    save_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("saves.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    version: Mapped[str] = mapped_column(sa.String(255), default="")
    item_count: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    spotify_requests: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    done: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    error_code: Mapped[str] = mapped_column(sa.String(64), default="")
    error_message: Mapped[str] = mapped_column(sa.Text, default="")


def _error_json(error: SaveError | None) -> str | None:
    if error is None:
        return None
    return json.dumps({"code": error.code, "message": error.message, "kinds": list(error.kinds)})


def _error(text: str | None) -> SaveError | None:
    if not text:
        return None
    value = json.loads(text)
    return SaveError(value["code"], value["message"], tuple(value["kinds"]))


def _run(row: SaveKindRow) -> KindRun:
    return KindRun(
        kind=row.kind,
        status=row.status,
        version=row.version,
        count=row.item_count,
        progress=Progress(row.done, row.total, row.spotify_requests),
        error_code=row.error_code,
        error_message=row.error_message,
    )


def _save(row: SaveRow, runs: list[SaveKindRow]) -> Save:
    created_at = row.created_at
    assert created_at is not None
    return Save(
        id=row.id,
        user_id=row.user_id,
        status=row.status,
        kinds=tuple(k for k in row.kinds.split(",") if k),
        full=row.full,
        created_at=created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        runs={run.kind: _run(run) for run in runs},
        error=_error(row.error_json),
    )


def lock_user(session: Session, user_id: str) -> None:
    """Serializes, per user, starting a save and deciding which versions the user's saves
    hold (library.pruning): on PostgreSQL an advisory lock until the transaction ends
    (across replicas); SQLite's write transactions are one at a time anyway."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtext('tapedeck-user'), hashtext(:user))"),
            {"user": user_id},
        )


def _newest_first(query: sa.Select[Any]) -> sa.Select[Any]:
    return query.order_by(SaveRow.created_at.desc(), SaveRow.id.desc())


class LibraryStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(
        self, save: Save, owner: str | None = None, lease_until: datetime | None = None
    ) -> Save | None:
        for _ in range(3):
            try:
                with self._db.write() as s:
                    # Not while retention decides which versions the user's saves hold.
                    lock_user(s, save.user_id)
                    active = self._active(s, save.user_id)
                    if active is not None:
                        return active
                    row = self._row(save)
                    row.owner, row.lease_until = owner, lease_until
                    s.add(row)
                    s.flush()  # the save before its runs, which refer to it
                    s.add_all(self._run_rows(save))
                return None
            except IntegrityError:
                # Another request made the user's active save between our check and insert
                # (PostgreSQL); it may even have ended since: look again.
                with self._db.read() as s:
                    active = self._active(s, save.user_id)
                if active is not None:
                    return active
        raise RuntimeError("could not add the save")

    def put(self, save: Save, ledger: Batch | None = None) -> bool:
        """`ledger`: the events of the kind this state completes, written in the same
        transaction (library.ledger). A save stored ended is final: nothing is written over
        it (a replica that lost its lease still writing), and False is answered."""
        with self._db.write() as s:
            ended = s.scalar(
                sa.select(SaveRow.finished_at).where(SaveRow.id == save.id).with_for_update()
            )
            if ended is not None:
                return False
            s.merge(self._row(save))
            s.flush()
            for row in self._run_rows(save):
                s.merge(row)
            if ledger is not None:
                write_batch(s, ledger)
            if save.finished_at is not None:
                save_ended(s, save.id, save.finished_at)
        return True

    def get(self, user_id: str, save_id: str) -> Save | None:
        with self._db.read() as s:
            row = s.get(SaveRow, save_id)
            if row is None or row.user_id != user_id:
                return None
            return self._load(s, [row])[0]

    def page(self, user_id: str, offset: int, limit: int) -> tuple[list[Save], int]:
        with self._db.read() as s:
            total = s.scalar(
                sa.select(sa.func.count()).select_from(SaveRow).where(SaveRow.user_id == user_id)
            )
            rows = s.scalars(
                _newest_first(sa.select(SaveRow).where(SaveRow.user_id == user_id))
                .offset(offset)
                .limit(limit)
            ).all()
            return self._load(s, list(rows)), int(total or 0)

    def latest_completing(self, user_id: str, kind: str) -> Save | None:
        with self._db.read() as s:
            row = s.scalars(
                _newest_first(
                    sa.select(SaveRow)
                    .join(SaveKindRow, SaveKindRow.save_id == SaveRow.id)
                    .where(
                        SaveRow.user_id == user_id,
                        SaveRow.status.in_(READABLE),
                        SaveKindRow.kind == kind,
                        SaveKindRow.status == KIND_SUCCEEDED,
                    )
                ).limit(1)
            ).first()
            return self._load(s, [row])[0] if row is not None else None

    def latest_succeeded(self, user_id: str, before: Save | None = None) -> Save | None:
        query = sa.select(SaveRow).where(SaveRow.user_id == user_id, SaveRow.status == SUCCEEDED)
        if before is not None:
            query = query.where(
                sa.or_(
                    SaveRow.created_at < before.created_at,
                    sa.and_(SaveRow.created_at == before.created_at, SaveRow.id < before.id),
                )
            )
        with self._db.read() as s:
            row = s.scalars(_newest_first(query).limit(1)).first()
            return self._load(s, [row])[0] if row is not None else None

    def unfinished(self) -> list[Save]:
        with self._db.read() as s:
            rows = s.scalars(sa.select(SaveRow).where(SaveRow.status.in_(ACTIVE))).all()
            return self._load(s, list(rows))

    def renew(self, owner: str, save_ids: Collection[str], until: datetime) -> set[str]:
        """Extends `owner`'s leases of those of `save_ids` still active; answers which of
        them are still `owner`'s, active or ended (one missing was taken over by another
        replica, which found its lease passed)."""
        if not save_ids:
            return set()
        mine = (SaveRow.id.in_(list(save_ids)), SaveRow.owner == owner)
        with self._db.write() as s:
            s.execute(
                sa.update(SaveRow)
                .where(*mine, SaveRow.status.in_(ACTIVE))
                .values(lease_until=until)
            )
            return set(s.scalars(sa.select(SaveRow.id).where(*mine)))

    def take_expired(self, owner: str, now: datetime, until: datetime) -> list[Save]:
        """Makes `owner`'s (leased until `until`) every active save whose lease passed
        before `now`, or that never had one, and answers them as they are. Each is taken
        by one conditional update, so of replicas looking at once one takes it, and an
        owner that renewed meanwhile keeps it."""
        expired = sa.or_(SaveRow.lease_until.is_(None), SaveRow.lease_until < now)
        with self._db.read() as s:
            # The active-save index's own condition, spelled as it is, so the planner sees it
            # applies: every heartbeat reads the few active rows, not every save ever made.
            ids = list(s.scalars(sa.select(SaveRow.id).where(sa.text(_ACTIVE_SQL), expired)))
        taken = []
        for save_id in ids:
            with self._db.write() as s:
                result = s.execute(
                    sa.update(SaveRow)
                    .where(SaveRow.id == save_id, SaveRow.status.in_(ACTIVE), expired)
                    .values(owner=owner, lease_until=until)
                )
                if getattr(result, "rowcount", 0) == 1:
                    taken.append(save_id)
        if not taken:
            return []
        with self._db.read() as s:
            rows = s.scalars(sa.select(SaveRow).where(SaveRow.id.in_(taken))).all()
            return self._load(s, list(rows))

    def _active(self, s: Session, user_id: str) -> Save | None:
        row = s.scalars(
            sa.select(SaveRow).where(SaveRow.user_id == user_id, SaveRow.status.in_(ACTIVE))
        ).first()
        return self._load(s, [row])[0] if row is not None else None

    def _load(self, s: Session, rows: list[SaveRow]) -> list[Save]:
        if not rows:
            return []
        runs: dict[str, list[SaveKindRow]] = {row.id: [] for row in rows}
        for run in s.scalars(sa.select(SaveKindRow).where(SaveKindRow.save_id.in_(list(runs)))):
            runs[run.save_id].append(run)
        return [_save(row, runs[row.id]) for row in rows]

    @staticmethod
    def _row(save: Save) -> SaveRow:
        return SaveRow(
            id=save.id,
            user_id=save.user_id,
            status=save.status,
            kinds=",".join(save.kinds),
            full=save.full,
            created_at=save.created_at,
            started_at=save.started_at,
            finished_at=save.finished_at,
            spotify_requests=save.spotify_requests,
            error_json=_error_json(save.error),
        )

    @staticmethod
    def _run_rows(save: Save) -> list[SaveKindRow]:
        return [
            SaveKindRow(
                save_id=save.id,
                kind=run.kind,
                status=run.status,
                version=run.version,
                item_count=run.count,
                spotify_requests=run.progress.spotify_requests,
                done=run.progress.done,
                total=run.progress.total,
                error_code=run.error_code,
                error_message=run.error_message,
            )
            for run in save.runs.values()
        ]
