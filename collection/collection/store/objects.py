"""Stored objects' JSON by digest: what the ledger's changes read for the few entries that
changed, instead of every entry's object (collection.changes)."""

from __future__ import annotations

from collections.abc import Iterable

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
