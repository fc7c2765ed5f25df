"""The ledger's tables and every query on them (the logic is library.ledger). Apart from the
saves tables on purpose: pruning a save's versions never touches its events.

- ledger_saves: one row per save and kind whose events are written (even when there were
  none): when (the save's finished time once it ends) and the save it was compared with.
- ledger_items: each event's item (track, episode, album, artist) as stored, once per
  distinct JSON, so events outlive the versions and objects they came from.
- ledger_events: the events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from kit.database import Database, UtcDateTime
from library.ledger import Batch, Completed, Event, EventQuery, item_digest

if TYPE_CHECKING:
    from library.saves import Save
    from library.store import LibraryStore


class Base(DeclarativeBase):
    pass


class LedgerSaveRow(Base):
    __tablename__ = "ledger_saves"
    __table_args__ = (sa.Index("ix_ledger_saves_user_kind_at", "user_id", "kind", "at"),)

    save_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    user_id: Mapped[str] = mapped_column(sa.String(64))
    base_save_id: Mapped[str] = mapped_column(sa.String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class LedgerItemRow(Base):
    __tablename__ = "ledger_items"

    digest: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    body: Mapped[str] = mapped_column(sa.Text)


class LedgerEventRow(Base):
    __tablename__ = "ledger_events"
    # Each read is a range of one of these, newest first, so a page costs its rows only.
    __table_args__ = (
        sa.Index("ix_ledger_events_user_at", "user_id", "at", "id"),
        sa.Index("ix_ledger_events_user_playlist_at", "user_id", "playlist_id", "at", "id"),
        sa.Index("ix_ledger_events_user_uri_at", "user_id", "uri", "at", "id"),
        sa.Index("ix_ledger_events_save", "save_id"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[str] = mapped_column(sa.String(64))
    save_id: Mapped[str] = mapped_column(sa.String(32))
    # The save's time, as in ledger_saves (kept here too: the reads' order and filter).
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(sa.String(16))
    type: Mapped[str] = mapped_column(sa.String(32))
    playlist_id: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    uri: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    item_digest: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    occurrence: Mapped[int] = mapped_column(sa.Integer)
    position: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    from_position: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    added_at: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    added_by: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    before: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    after: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


def write_batch(session: Session, batch: Batch) -> bool:
    """Writes a batch in the caller's transaction; False (and nothing written) when that
    save's kind already has its events."""
    exists = session.get(LedgerSaveRow, (batch.save_id, batch.kind))
    if exists is not None:
        return False
    session.add(
        LedgerSaveRow(
            save_id=batch.save_id,
            kind=batch.kind,
            user_id=batch.user_id,
            base_save_id=batch.base_save_id,
            at=batch.at,
        )
    )
    session.flush()  # a racing writer of the same batch fails here, before any event
    items = batch.items
    connection = session.connection()
    # Driver-level executemany, as the collection's writes: a first save writes tens of
    # thousands of events, and SQLAlchemy's per-row processing would be most of its cost.
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    if items:
        # Sorted, so concurrent writers take PostgreSQL's index locks in one order.
        connection.exec_driver_sql(
            f"INSERT INTO ledger_items (digest, body) VALUES ({mark}, {mark}) "
            "ON CONFLICT DO NOTHING",
            [(d, items[d]) for d in sorted(items)],
        )
    if batch.changes:
        to_db = LedgerEventRow.__table__.c.at.type.bind_processor(connection.dialect)
        at = to_db(batch.at) if to_db else batch.at
        connection.exec_driver_sql(
            f"INSERT INTO ledger_events ({', '.join(_EVENT_COLUMNS)}) "
            f"VALUES ({', '.join([mark] * len(_EVENT_COLUMNS))})",
            [
                (
                    batch.user_id,
                    batch.save_id,
                    at,
                    batch.kind,
                    c.type,
                    c.playlist_id or None,
                    c.uri or None,
                    item_digest(c.item_json) if c.item_json else None,
                    c.occurrence,
                    c.position,
                    c.from_position,
                    c.added_at or None,
                    c.added_by_json or None,
                    c.before,
                    c.after,
                )
                for c in batch.changes
            ],
        )
    return True


_EVENT_COLUMNS = (
    "user_id",
    "save_id",
    "at",
    "kind",
    "type",
    "playlist_id",
    "uri",
    "item_digest",
    "occurrence",
    "position",
    "from_position",
    "added_at",
    "added_by",
    "before",
    "after",
)


def save_ended(session: Session, save_id: str, finished_at: datetime) -> None:
    """The save's events take its finished time (in the transaction that ends it)."""
    session.execute(
        sa.update(LedgerSaveRow).where(LedgerSaveRow.save_id == save_id).values(at=finished_at)
    )
    session.execute(
        sa.update(LedgerEventRow).where(LedgerEventRow.save_id == save_id).values(at=finished_at)
    )


def _event(row: Any, body: str | None = None) -> Event:
    return Event(
        id=row.id,
        save_id=row.save_id,
        at=row.at,
        kind=row.kind,
        type=row.type,
        playlist_id=row.playlist_id,
        uri=row.uri,
        item_json=body,
        occurrence=row.occurrence,
        position=row.position,
        from_position=row.from_position,
        added_at=row.added_at,
        added_by_json=row.added_by,
        before=row.before,
        after=row.after,
        item_digest=row.item_digest,
    )


def _columns() -> list[Any]:
    e = LedgerEventRow
    return [
        e.id,
        e.save_id,
        e.at,
        e.kind,
        e.type,
        e.playlist_id,
        e.uri,
        e.item_digest,
        e.occurrence,
        e.position,
        e.from_position,
        e.added_at,
        e.added_by,
        e.before,
        e.after,
    ]


class LedgerStore:
    def __init__(self, db: Database, saves: LibraryStore) -> None:
        self._db = db
        self._saves = saves

    def complete(self, save: Save, batch: Batch) -> None:
        self._saves.put(save, batch)

    def write(self, batch: Batch) -> bool:
        try:
            with self._db.write() as session:
                return write_batch(session, batch)
        except IntegrityError:  # written meanwhile by another writer
            return False

    def unrecorded(self) -> list[tuple[Completed, Completed | None]]:
        # Imported here: the saves tables are the library store's; this reads them only.
        from library.store import SaveKindRow, SaveRow

        with self._db.read() as session:
            rows = session.execute(
                sa.select(
                    SaveRow.user_id,
                    SaveRow.id,
                    SaveKindRow.kind,
                    SaveKindRow.version,
                    SaveRow.created_at,
                    SaveRow.finished_at,
                    LedgerSaveRow.save_id.label("recorded"),
                )
                .join(SaveKindRow, SaveKindRow.save_id == SaveRow.id)
                .outerjoin(
                    LedgerSaveRow,
                    sa.and_(
                        LedgerSaveRow.save_id == SaveRow.id, LedgerSaveRow.kind == SaveKindRow.kind
                    ),
                )
                .where(
                    SaveRow.status.in_(("succeeded", "partial")),
                    SaveKindRow.status == "succeeded",
                )
                .order_by(SaveRow.user_id, SaveKindRow.kind, SaveRow.created_at, SaveRow.id)
            ).all()
        out: list[tuple[Completed, Completed | None]] = []
        previous: Completed | None = None
        for row in rows:
            completed = Completed(
                row.user_id, row.id, row.kind, row.version, row.created_at, row.finished_at
            )
            if previous is not None and (previous.user_id, previous.kind) != (
                row.user_id,
                row.kind,
            ):
                previous = None
            if row.recorded is None:
                out.append((completed, previous))
            previous = completed
        return out

    def events(self, query: EventQuery, offset: int, limit: int) -> tuple[list[Event], int]:
        e = LedgerEventRow
        where: list[sa.ColumnElement[bool]] = [e.user_id == query.user_id]
        if query.playlist_id:
            where.append(e.playlist_id == query.playlist_id)
        if query.track_uri:
            where.append(e.uri == query.track_uri)
        if query.kind:
            where.append(e.kind == query.kind)
        if query.types:
            where.append(e.type.in_(query.types))
        if query.since is not None:
            where.append(e.at >= query.since)
        if query.until is not None:
            where.append(e.at < query.until)
        with self._db.read() as session:
            total = session.scalar(sa.select(sa.func.count()).select_from(e).where(*where))
            page = (
                sa.select(*_columns())
                .where(*where)
                .order_by(e.at.desc(), e.id.desc())
                .offset(offset)
                .limit(limit)
                .subquery()
            )
            rows = session.execute(
                sa.select(page, LedgerItemRow.body)
                .outerjoin(LedgerItemRow, LedgerItemRow.digest == page.c.item_digest)
                .order_by(page.c.at.desc(), page.c.id.desc())
            ).all()
        return [_event(row, row.body) for row in rows], int(total or 0)

    def item_bodies(self, digests: list[str]) -> dict[str, str]:
        with self._db.read() as session:
            rows = session.execute(
                sa.select(LedgerItemRow.digest, LedgerItemRow.body).where(
                    LedgerItemRow.digest.in_(sorted(set(digests)))
                )
            )
            return {row.digest: row.body for row in rows}

    def knows_playlist(self, user_id: str, playlist_id: str) -> bool:
        with self._db.read() as session:
            return (
                session.scalar(
                    sa.select(LedgerEventRow.id)
                    .where(
                        LedgerEventRow.user_id == user_id,
                        LedgerEventRow.playlist_id == playlist_id,
                    )
                    .limit(1)
                )
                is not None
            )

    def playlist_stamp(self, user_id: str, playlist_id: str) -> tuple[Any, ...]:
        e = LedgerEventRow
        with self._db.read() as session:
            row = session.execute(
                sa.select(sa.func.count(), sa.func.max(e.id), sa.func.max(e.at)).where(
                    e.user_id == user_id, e.playlist_id == playlist_id
                )
            ).one()
        return tuple(row)

    def item_events(self, user_id: str, playlist_id: str) -> list[Event]:
        e = LedgerEventRow
        with self._db.read() as session:
            rows = session.execute(
                sa.select(*_columns())
                .where(
                    e.user_id == user_id,
                    e.playlist_id == playlist_id,
                    e.type.in_(("added", "removed")),
                )
                .order_by(e.at, e.id)
            ).all()
        return [_event(row) for row in rows]

    def kind_times(self, user_id: str, kind: str) -> dict[str, datetime]:
        with self._db.read() as session:
            rows = session.execute(
                sa.select(LedgerSaveRow.save_id, LedgerSaveRow.at).where(
                    LedgerSaveRow.user_id == user_id, LedgerSaveRow.kind == kind
                )
            ).all()
        times: dict[str, datetime] = {row.save_id: row.at for row in rows}
        if times:
            times[""] = max(times.values())
        return times

    def base_of(self, user_id: str, kind: str) -> dict[str, str]:
        with self._db.read() as session:
            rows = session.execute(
                sa.select(LedgerSaveRow.save_id, LedgerSaveRow.base_save_id).where(
                    LedgerSaveRow.user_id == user_id, LedgerSaveRow.kind == kind
                )
            ).all()
        return {row.save_id: row.base_save_id for row in rows}
