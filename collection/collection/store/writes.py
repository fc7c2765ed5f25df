"""Writing the collection tables: staged listings written page by page, sealed under their
content digest (an unchanged list is stored once), and users' versions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from collection.model import Entry, Listing
from collection.rows import (
    ENTRY_COLUMNS,
    Encoded,
    content_digest,
    encode_entries,
    line_of,
    new_listing_id,
)
from collection.store import gc
from collection.store.gc import hold_shared
from collection.store.tables import EntryRow, ListingRow, VersionRow
from kit import errors
from kit.database import Database


def _insert_ignoring_duplicates(
    session: Session, table: Any, rows: Sequence[dict[str, Any]]
) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(table).on_conflict_do_nothing(), list(rows))


def _now() -> datetime:
    return datetime.now(UTC)


class ListingWrites:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create_listing(self) -> str:
        """A new, empty staged listing, in the database at once; sealed or discarded later.
        (A sync creates its listings with their first write instead: `new_listings`.)"""
        listing_id = new_listing_id()
        with self._db.write() as session:
            session.add(ListingRow(id=listing_id, digest=None, count=0, created_at=_now()))
        return listing_id

    def write(self, batches: Iterable[tuple[str, Sequence[Entry]]]) -> None:
        """Entries into staged listings, in one transaction."""
        self.write_encoded([encode_entries(listing_id, entries) for listing_id, entries in batches])

    def write_encoded(
        self,
        batches: Sequence[Encoded],
        new_listings: Sequence[str] = (),
        seals: Sequence[tuple[str, Sequence[str]]] = (),
        pin: str = "",
    ) -> dict[str, Listing]:
        """Encoded entries into staged listings, then `seals` (listing, its digest lines in
        position order), all in one transaction; objects already stored are not stored
        again. `new_listings`: staged listings to create first (ids from
        `new_listing_id`), saving a transaction each. Returns each sealed listing's
        result: itself, or the listing that already held the same content. `pin`: the
        sync that will refer to the sealed listings, which pins them (collection.store.gc)."""
        objects: dict[str, str] = {}
        rows: list[tuple[Any, ...]] = []
        for batch in batches:
            objects.update(batch.objects)
            rows.extend(batch.rows)
        if not rows and not new_listings and not seals:
            return {}
        for _ in range(3):
            try:
                with self._db.write() as session:
                    connection = session.connection()
                    hold_shared(connection)
                    self._insert(connection, new_listings, objects, rows)
                    sealed = {
                        listing_id: self._seal(connection, listing_id, lines)
                        for listing_id, lines in seals
                    }
                    if pin:
                        gc.pin(connection, pin, [listing.id for listing in sealed.values()])
                    return sealed
            except IntegrityError:
                # A racing writer sealed the same content just now (PostgreSQL): the next
                # try finds and shares theirs.
                continue
        raise errors.Unavailable("could not store a batch")

    @staticmethod
    def _insert(
        connection: sa.Connection,
        new_listings: Sequence[str],
        objects: dict[str, str],
        rows: list[tuple[Any, ...]],
    ) -> None:
        # Driver-level executemany: SQLAlchemy's per-row parameter processing was a large
        # share of a sync's CPU, and these rows need none of it.
        mark = "?" if connection.dialect.name == "sqlite" else "%s"
        if new_listings:
            # In the column's own storage format (on SQLite, SQLAlchemy's text form), as the
            # ORM writes it, so comparisons in SQL (the sweep) see one format.
            to_db = ListingRow.__table__.c.created_at.type.bind_processor(connection.dialect)
            now = to_db(_now()) if to_db else _now()
            connection.exec_driver_sql(
                f"INSERT INTO listings (id, digest, count, created_at) "
                f"VALUES ({mark}, NULL, 0, {mark})",
                [(listing_id, now) for listing_id in new_listings],
            )
        if objects:
            # Sorted, so concurrent writers take PostgreSQL's index locks in one order.
            connection.exec_driver_sql(
                f"INSERT INTO objects (digest, body) VALUES ({mark}, {mark}) "
                "ON CONFLICT DO NOTHING",
                [(d, objects[d]) for d in sorted(objects)],
            )
        if rows:
            connection.exec_driver_sql(
                f"INSERT INTO entries ({', '.join(ENTRY_COLUMNS)}) "
                f"VALUES ({', '.join([mark] * len(ENTRY_COLUMNS))})",
                rows,
            )

    @staticmethod
    def _seal(connection: sa.Connection, listing_id: str, lines: Sequence[str]) -> Listing:
        content, count = content_digest(lines), len(lines)
        existing = connection.execute(
            sa.select(ListingRow.id, ListingRow.count.label("n")).where(
                ListingRow.digest == content
            )
        ).first()
        if existing is not None:
            connection.execute(sa.delete(EntryRow).where(EntryRow.listing_id == listing_id))
            connection.execute(sa.delete(ListingRow).where(ListingRow.id == listing_id))
            return Listing(existing.id, existing.n)
        connection.execute(
            sa.update(ListingRow)
            .where(ListingRow.id == listing_id)
            .values(digest=content, count=count)
        )
        return Listing(listing_id, count)

    def seal(self, listing_id: str, lines: Sequence[str] | None = None, pin: str = "") -> Listing:
        """Completes a staged listing. If a listing with the same content exists, the
        staged one is dropped and that one is returned. `lines`: the entries' digest lines
        in position order, when the caller kept them (else they are read back)."""
        if lines is None:
            lines = self._lines(listing_id)
        return self.write_encoded([], seals=[(listing_id, lines)], pin=pin)[listing_id]

    def _lines(self, listing_id: str) -> list[str]:
        with self._db.read() as session:
            rows = session.execute(
                sa.select(
                    EntryRow.object_digest,
                    EntryRow.detail_digest,
                    EntryRow.children_id,
                    EntryRow.withheld,
                    EntryRow.tag,
                )
                .where(EntryRow.listing_id == listing_id)
                .order_by(EntryRow.position)
            )
            return [line_of(*row) for row in rows]

    def discard(self, listing_ids: Sequence[str]) -> None:
        """Drops staged (unsealed) listings and their entries."""
        if not listing_ids:
            return
        with self._db.write() as session:
            staged = list(
                session.scalars(
                    sa.select(ListingRow.id).where(
                        ListingRow.id.in_(listing_ids), ListingRow.digest.is_(None)
                    )
                )
            )
            if staged:
                session.execute(sa.delete(EntryRow).where(EntryRow.listing_id.in_(staged)))
                session.execute(sa.delete(ListingRow).where(ListingRow.id.in_(staged)))

    def record_version(self, user_id: str, listing: Listing) -> str:
        """The user's version holding this sealed listing (the same one for the same content)."""
        with self._db.read() as session:
            content = session.scalar(
                sa.select(ListingRow.digest).where(ListingRow.id == listing.id)
            )
        if content is None:
            raise errors.FailedPrecondition("the listing is not sealed")
        version = content[:32]
        with self._db.write() as session:
            _insert_ignoring_duplicates(
                session,
                VersionRow.__table__,
                [
                    {
                        "user_id": user_id,
                        "version": version,
                        "listing_id": listing.id,
                        "created_at": _now(),
                    }
                ],
            )
        return version
