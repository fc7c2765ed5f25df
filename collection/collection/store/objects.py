"""What the ledger's changes read (collection.changes): a listing's entries as plain tuples,
without objects, then the JSON of the few objects that changed, by digest."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from collection.store.tables import ObjectRow
from kit.database import Database

# Digests per query: well under every database's limit on bound parameters.
CHUNK = 500


class ObjectReads:
    _db: Database

    def objects_by_digest(self, digests: Iterable[str]) -> dict[str, str]:
        """The JSON of each stored object among `digests` (unknown ones are left out)."""
        wanted = sorted(set(digests))
        found: dict[str, str] = {}
        with self._db.read() as session:
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
                rows = session.execute(
                    sa.select(ObjectRow.digest, ObjectRow.body).where(ObjectRow.digest.in_(chunk))
                )
                found.update((row.digest, row.body) for row in rows)
        return found

    def change_rows(self, listing_id: str) -> list[tuple[Any, ...]]:
        """(position, item id, uri, name, object digest, child listing, withheld) of every
        entry, in order, straight from the driver: a list of 10,000 entries in tens of ms."""
        with self._db.read() as session:
            connection = session.connection()
            mark = "?" if connection.dialect.name == "sqlite" else "%s"
            return list(
                connection.exec_driver_sql(
                    "SELECT position, coalesce(item_id, ''), coalesce(uri, ''), "
                    "coalesce(name, ''), object_digest, children_id, withheld "
                    f"FROM entries WHERE listing_id = {mark} ORDER BY position",
                    (listing_id,),
                ).fetchall()
            )
