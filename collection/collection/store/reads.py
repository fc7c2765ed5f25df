"""Reading the collection tables: a user's version, a page of a listing, one entry, a child
listing, and every entry's references (for comparing versions)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from collection.model import Listing, Ref, StoredEntry
from collection.store.tables import EntryRow, ListingRow, ObjectRow, VersionRow
from kit import errors
from kit.database import Database


class ListingReads:
    def __init__(self, db: Database) -> None:
        self._db = db

    def listing(self, user_id: str, version: str) -> Listing:
        """The listing of a user's version; NotFound for another user's or an unknown one."""
        with self._db.read() as session:
            row = session.execute(
                sa.select(ListingRow.id, ListingRow.count.label("n"))
                .join(VersionRow, VersionRow.listing_id == ListingRow.id)
                .where(VersionRow.user_id == user_id, VersionRow.version == version)
            ).first()
        if row is None:
            raise errors.NotFound("no such version")
        return Listing(row.id, row.n)

    def children(self, user_id: str, version: str, item_id: str) -> Listing | None:
        """The child listing of an item of a user's version, in one query; None when the
        item has none (withheld); NotFound for an unknown version or item."""
        child = aliased(ListingRow)
        with self._db.read() as session:
            row = session.execute(
                sa.select(EntryRow.children_id, sa.func.coalesce(child.count, 0).label("n"))
                .join(VersionRow, VersionRow.listing_id == EntryRow.listing_id)
                .outerjoin(child, child.id == EntryRow.children_id)
                .where(
                    VersionRow.user_id == user_id,
                    VersionRow.version == version,
                    EntryRow.item_id == item_id,
                )
                .order_by(EntryRow.position)
                .limit(1)
            ).first()
        if row is None:
            raise errors.NotFound("no such item in this version")
        return Listing(row.children_id, row.n) if row.children_id else None

    def page(self, listing_id: str, offset: int, limit: int) -> list[tuple[StoredEntry, str]]:
        """Entries [offset, offset+limit) in order, each with its object's JSON."""
        with self._db.read() as session:
            rows = session.execute(
                self._entries()
                .where(EntryRow.listing_id == listing_id, *_from(listing_id, offset))
                .order_by(EntryRow.position)
                .limit(limit)
            ).all()
        return [(_stored(row), row.body) for row in rows]

    def bodies(self, listing_id: str, offset: int, limit: int) -> list[str]:
        """The objects' JSON of entries [offset, offset+limit), in order."""
        with self._db.read() as session:
            return list(
                session.scalars(
                    sa.select(ObjectRow.body)
                    .join(EntryRow, EntryRow.object_digest == ObjectRow.digest)
                    .where(EntryRow.listing_id == listing_id, *_from(listing_id, offset))
                    .order_by(EntryRow.position)
                    .limit(limit)
                )
            )

    def entry(self, listing_id: str, item_id: str) -> tuple[StoredEntry, str, str | None]:
        """The first entry of that Spotify id: (entry, object JSON, detail JSON or None)."""
        detail = aliased(ObjectRow)
        with self._db.read() as session:
            row = session.execute(
                self._entries()
                .add_columns(detail.body.label("detail_body"))
                .outerjoin(detail, detail.digest == EntryRow.detail_digest)
                .where(EntryRow.listing_id == listing_id, EntryRow.item_id == item_id)
                .order_by(EntryRow.position)
                .limit(1)
            ).first()
        if row is None:
            raise errors.NotFound("no such item in this version")
        return _stored(row), row.body, row.detail_body

    def entries(self, listing_id: str) -> list[StoredEntry]:
        """Every entry of a listing, without objects (small: ids, tags, references)."""
        with self._db.read() as session:
            rows = session.execute(
                self._entries(with_body=False)
                .where(EntryRow.listing_id == listing_id)
                .order_by(EntryRow.position)
            ).all()
        return [_stored(row) for row in rows]

    def first_digests(self, listing_id: str, n: int) -> list[str]:
        with self._db.read() as session:
            return list(
                session.scalars(
                    sa.select(EntryRow.object_digest)
                    .where(EntryRow.listing_id == listing_id)
                    .order_by(EntryRow.position)
                    .limit(n)
                )
            )

    @staticmethod
    def _entries(with_body: bool = True) -> sa.Select[Any]:
        child = aliased(ListingRow)
        columns: list[Any] = [
            EntryRow.position,
            EntryRow.item_id,
            EntryRow.uri,
            EntryRow.name,
            EntryRow.tag,
            EntryRow.object_digest,
            EntryRow.detail_digest,
            EntryRow.children_id,
            EntryRow.withheld,
            sa.func.coalesce(child.count, 0).label("children_count"),
        ]
        query = sa.select(*columns)
        if with_body:
            query = query.add_columns(ObjectRow.body).join(
                ObjectRow, ObjectRow.digest == EntryRow.object_digest
            )
        return query.outerjoin(child, child.id == EntryRow.children_id)


def _from(listing_id: str, offset: int) -> tuple[sa.ColumnElement[bool], ...]:
    """Where a page starting at `offset` begins, found on the entries' primary key: an
    OFFSET on the page's own query made the database join every skipped entry to its object
    first, so reading a 100,000-item playlist page by page took time quadratic in its length
    (bench/README.md, "Exports"). When the listing's positions are 0..count-1 (what a sync
    writes), the page begins at position `offset`; should they have gaps, at the position
    of the `offset`-th entry, found by skipping entries on the key alone."""
    if offset <= 0:
        return ()
    count = sa.select(ListingRow.count).where(ListingRow.id == listing_id).scalar_subquery()
    last = (
        sa.select(sa.func.max(EntryRow.position))
        .where(EntryRow.listing_id == listing_id)
        .scalar_subquery()
    )
    nth = (
        sa.select(EntryRow.position)
        .where(EntryRow.listing_id == listing_id)
        .order_by(EntryRow.position)
        .offset(offset)
        .limit(1)
        .scalar_subquery()
    )
    start = sa.case((count == last + 1, sa.literal(offset)), else_=nth)
    return (EntryRow.position >= start,)


def _stored(row: Any) -> StoredEntry:
    return StoredEntry(
        position=row.position,
        ref=Ref(row.item_id or "", row.uri or "", row.name or ""),
        tag=row.tag,
        object_digest=row.object_digest,
        detail_digest=row.detail_digest,
        children=row.children_id,
        children_count=row.children_count,
        withheld=row.withheld,
    )
