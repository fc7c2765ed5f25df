"""Every query on the collection tables (kit.collection.tables): staged listings written page
by page, sealed under their content digest, users' versions, and the reads."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from kit import errors
from kit.collection.model import Entry, Ref, StoredEntry, digest, encode
from kit.collection.tables import EntryRow, ListingRow, ObjectRow, VersionRow
from kit.database import Database


@dataclass(frozen=True)
class Listing:
    id: str
    count: int


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


class CollectionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Writing

    def stage(self) -> str:
        """A new, empty listing to write entries into; sealed or discarded later."""
        listing_id = uuid.uuid4().hex
        with self._db.write() as session:
            session.add(ListingRow(id=listing_id, digest=None, count=0, created_at=_now()))
        return listing_id

    def write(self, batches: Iterable[tuple[str, Sequence[Entry]]]) -> None:
        """Entries into staged listings, in one transaction; objects already stored are
        not stored again."""
        objects: dict[str, str] = {}
        rows: list[dict[str, Any]] = []
        for listing_id, entries in batches:
            for entry in entries:
                body = encode(entry.obj)
                object_digest = digest(body)
                objects[object_digest] = body
                detail_digest = entry.detail_digest
                if entry.detail is not None:
                    detail = encode(entry.detail)
                    detail_digest = digest(detail)
                    objects[detail_digest] = detail
                rows.append(
                    {
                        "listing_id": listing_id,
                        "position": entry.position,
                        "item_id": entry.ref.id or None,
                        "uri": entry.ref.uri or None,
                        "name": entry.ref.name or None,
                        "tag": entry.tag,
                        "object_digest": object_digest,
                        "detail_digest": detail_digest,
                        "children_id": entry.children,
                        "withheld": entry.withheld,
                    }
                )
        if not rows:
            return
        with self._db.write() as session:
            # Sorted, so concurrent writers take PostgreSQL's index locks in one order.
            _insert_ignoring_duplicates(
                session,
                ObjectRow.__table__,
                [{"digest": d, "body": objects[d]} for d in sorted(objects)],
            )
            session.execute(sa.insert(EntryRow), rows)

    def seal(self, listing_id: str) -> Listing:
        """Completes a staged listing. If a listing with the same content exists, the
        staged one is dropped and that one is returned."""
        hasher = hashlib.sha256()
        count = 0
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
                .execution_options(yield_per=2000)
            )
            for obj, detail, children, withheld, tag in rows:
                hasher.update(f"{obj}|{detail}|{children}|{int(withheld)}|{tag}\n".encode())
                count += 1
        content = hasher.hexdigest()
        for _ in range(3):
            existing = self._sealed(content)
            if existing is not None:
                self.discard([listing_id])
                return existing
            try:
                with self._db.write() as session:
                    session.execute(
                        sa.update(ListingRow)
                        .where(ListingRow.id == listing_id)
                        .values(digest=content, count=count)
                    )
                return Listing(listing_id, count)
            except IntegrityError:
                continue  # sealed by a racing writer just now: use theirs
        raise errors.Unavailable("could not seal a listing")

    def _sealed(self, content: str) -> Listing | None:
        with self._db.read() as session:
            row = session.execute(
                sa.select(ListingRow.id, ListingRow.count.label("n")).where(
                    ListingRow.digest == content
                )
            ).first()
        return Listing(row.id, row.n) if row else None

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

    # Reading

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

    def count(self, listing_id: str) -> int:
        with self._db.read() as session:
            return int(
                session.scalar(sa.select(ListingRow.count).where(ListingRow.id == listing_id)) or 0
            )

    def page(self, listing_id: str, offset: int, limit: int) -> list[tuple[StoredEntry, str]]:
        """Entries [offset, offset+limit) in order, each with its object's JSON."""
        with self._db.read() as session:
            rows = session.execute(
                self._entries()
                .where(EntryRow.listing_id == listing_id)
                .order_by(EntryRow.position)
                .offset(offset)
                .limit(limit)
            ).all()
        return [(_stored(row), row.body) for row in rows]

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
