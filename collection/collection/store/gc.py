"""Dropping versions no save keeps, and the garbage collection of what no version reaches.

Storage is shared by content: an object is stored once for every listing that holds it, and
a listing (a playlist's items) once for every version and user whose content it is. So
nothing can be deleted with its version; what goes is found by reachability. The roots are
every user's versions, every staged listing (a sync writing it), and every *pinned* listing;
what they reach through entries (child listings, objects, detail objects) is live, and every
sealed listing and object outside it is deleted.

Why pins, under one lock, rather than a grace period or reference counts. A running sync
refers to stored things it did not write itself in exactly two ways: it builds on its base
version's listing (an unchanged playlist's entry, with its item listing and objects, is
written again into the new top listing), and sealing a listing whose content is already
stored shares that listing instead. Both look a listing up and refer to it later, in another
transaction, so a collection between the two could delete it. So each of those look-ups
*pins* the listing it found (a row in `pins`, named by the sync) in the same transaction,
and the sync unpins when it ends, after its version is recorded. Everything else a sync
refers to it writes itself: objects come with the entries that refer to them, in one
transaction, and staged listings are roots.

The collection runs in one transaction under an exclusive lock; the transactions that pin,
and every batch a sync writes, hold the same lock shared (SQLite: its single writer is that
lock; PostgreSQL: a transaction-level advisory lock). So the collection sees either the
batch or the pin committed and counts them, or begins before and ends before they commit,
when they re-insert an object it deleted (`ON CONFLICT DO NOTHING` inserts it again) or find
no listing to share (and seal their own). A sync never waits for another sync, and the
collection waits only for the batches in flight, never for a sync to end.

A grace period ("keep what is younger than the longest sync") would need the time a listing
was last *used*, written on every reuse, and keep garbage for hours; reference counts would
add a write to every object a sync meets. A sync killed with its process never unpins: its
pins expire after `TAPEDECK_STAGED_MAX_AGE_S`, as its staged listings do (no live sync is
that old), and what they held is collected next time."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collection.model import Listing
from collection.store.tables import ListingRow, PinRow, VersionRow
from kit.database import Database

log = logging.getLogger(__name__)

# PostgreSQL advisory lock key of the collection (any constant no other lock of this
# database uses: "tdgc").
_GC_LOCK = 0x74646763


def _now() -> datetime:
    return datetime.now(UTC)


def hold_shared(connection: sa.Connection) -> None:
    """In a transaction that adds references to stored things: the collection cannot run
    until it ends. Nothing on SQLite, whose writer is alone anyway."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock_shared({_GC_LOCK})")


def _hold_exclusive(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_GC_LOCK})")


def pin(connection: sa.Connection, sync_id: str, listing_ids: Iterable[str]) -> None:
    """Pins sealed listings for a sync, in the caller's transaction (which holds the lock
    shared)."""
    rows = [
        {"sync_id": sync_id, "listing_id": listing_id, "created_at": _now()}
        for listing_id in dict.fromkeys(listing_ids)
    ]
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        connection.execute(postgresql.insert(PinRow).on_conflict_do_nothing(), rows)
    else:
        from sqlalchemy.dialects import sqlite

        connection.execute(sqlite.insert(PinRow).on_conflict_do_nothing(), rows)


@dataclass(frozen=True)
class Collected:
    """What one garbage collection deleted."""

    listings: int
    objects: int
    pins: int


class GarbageCollection:
    def __init__(self, db: Database) -> None:
        self._db = db

    def pin_version(self, sync_id: str, user_id: str, version: str) -> Listing | None:
        """The listing of a user's version, pinned for a sync in the same transaction; None
        when the user has no such version (any more)."""
        with self._db.write() as session:
            connection = session.connection()
            hold_shared(connection)
            row = connection.execute(
                sa.select(ListingRow.id, ListingRow.count.label("n"))
                .join(VersionRow, VersionRow.listing_id == ListingRow.id)
                .where(VersionRow.user_id == user_id, VersionRow.version == version)
            ).first()
            if row is None:
                return None
            pin(connection, sync_id, [row.id])
            return Listing(row.id, row.n)

    def unpin(self, sync_id: str) -> None:
        """The sync has ended: what it pinned is reached from its version, or is garbage."""
        with self._db.write() as session:
            session.execute(sa.delete(PinRow).where(PinRow.sync_id == sync_id))

    def keep_versions(self, user_id: str, versions: Iterable[str]) -> int:
        """Drops the user's versions other than `versions` (the ones the user's saves still
        hold); returns how many went. Their listings and objects go at the next collection,
        unless another version or user holds them."""
        keep = sorted(set(versions))
        with self._db.write() as session:
            result = session.execute(
                sa.delete(VersionRow).where(
                    VersionRow.user_id == user_id, VersionRow.version.not_in(keep)
                )
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def collect(self, pins_older_than: datetime) -> Collected:
        """Deletes every sealed listing (with its entries) and object that no version,
        staged listing or live pin reaches, in one transaction under the exclusive lock.
        Pins created before `pins_older_than` are a killed sync's, and go first."""
        with self._db.write() as session:
            connection = session.connection()
            _hold_exclusive(connection)
            pins = connection.execute(
                sa.delete(PinRow).where(PinRow.created_at < pins_older_than)
            ).rowcount
            listings, objects = _sweep(session)
        collected = Collected(listings, objects, int(pins or 0))
        return collected


_LIVE = """
WITH RECURSIVE live(id) AS (
    SELECT listing_id FROM versions
    UNION SELECT id FROM listings WHERE digest IS NULL
    UNION SELECT listing_id FROM pins
    UNION SELECT e.children_id FROM entries e JOIN live ON e.listing_id = live.id
        WHERE e.children_id IS NOT NULL
)
INSERT INTO gc_live (id) SELECT id FROM live
"""

_USED = """
INSERT INTO gc_used (digest)
SELECT object_digest FROM entries
UNION SELECT detail_digest FROM entries WHERE detail_digest IS NOT NULL
"""


def _sweep(session: Session) -> tuple[int, int]:
    """The mark (into temporary tables) and the sweep, in the session's transaction."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    temp = "CREATE TEMPORARY TABLE" + (" IF NOT EXISTS" if not postgres else "")
    on_commit = " ON COMMIT DROP" if postgres else ""
    for table, column in (("gc_live", "id"), ("gc_dead", "id"), ("gc_used", "digest")):
        connection.exec_driver_sql(f"{temp} {table} ({column} VARCHAR(64) PRIMARY KEY){on_commit}")
        if not postgres:  # SQLite keeps temporary tables for the connection's life
            connection.exec_driver_sql(f"DELETE FROM {table}")
    connection.exec_driver_sql(_LIVE)
    connection.exec_driver_sql(
        # Sealed ones only: a staged listing created since the mark (which needs no lock,
        # as it refers to nothing) is a sync's.
        "INSERT INTO gc_dead (id) SELECT id FROM listings WHERE digest IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM gc_live WHERE gc_live.id = listings.id)"
    )
    connection.exec_driver_sql("DELETE FROM entries WHERE listing_id IN (SELECT id FROM gc_dead)")
    listings = connection.exec_driver_sql(
        "DELETE FROM listings WHERE id IN (SELECT id FROM gc_dead)"
    ).rowcount
    connection.exec_driver_sql(_USED)
    objects = connection.exec_driver_sql(
        "DELETE FROM objects "
        "WHERE NOT EXISTS (SELECT 1 FROM gc_used WHERE gc_used.digest = objects.digest)"
    ).rowcount
    if not postgres:
        for table in ("gc_live", "gc_dead", "gc_used"):
            connection.exec_driver_sql(f"DROP TABLE {table}")
    return int(listings or 0), int(objects or 0)


def compact(db: Database) -> tuple[int, int]:
    """Gives the space deleted rows left back to the file system on SQLite (VACUUM, then
    a checkpoint that empties the write-ahead log): SQLite otherwise keeps freed pages in
    the file for reuse. Returns the file's bytes in use before and after. PostgreSQL's
    autovacuum makes the space reusable on its own: nothing is done there."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return (0, 0)
    # On the driver's own connection: VACUUM cannot run inside the transaction SQLAlchemy
    # would begin (the kit's connections are in the driver's autocommit mode).
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        before = _sqlite_bytes(cursor)
        cursor.execute("VACUUM")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        after = _sqlite_bytes(cursor)
        cursor.close()
    finally:
        raw.close()
    return before, after


def _sqlite_bytes(cursor: Any) -> int:
    pages = cursor.execute("PRAGMA page_count").fetchone()[0]
    size = cursor.execute("PRAGMA page_size").fetchone()[0]
    return int(pages) * int(size)


def free_share(db: Database) -> float:
    """The share of SQLite's file that is free pages (0 on PostgreSQL)."""
    if db.engine.dialect.name != "sqlite":
        return 0.0
    with db.read() as session:
        connection = session.connection()
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar() or 0
        free = connection.exec_driver_sql("PRAGMA freelist_count").scalar() or 0
    return float(free) / float(pages) if pages else 0.0
