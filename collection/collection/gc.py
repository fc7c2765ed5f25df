"""Keeping only the versions a user's saves hold, and collecting what no version reaches any
more (the how and why: collection.store.gc). The library decides which versions stay (its
retention rule, a deleted save); this service only forgets the rest and frees their space."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from collection.store import CollectionStore
from collection.store.gc import compact, free_share
from kit import errors
from kit.database import Database

log = logging.getLogger(__name__)

# Space is given back to the file system (SQLite's VACUUM, which rewrites the file) once at
# least this share of the file is free pages: rewriting for a little would cost more.
COMPACT_AT = 0.125


@dataclass(frozen=True)
class Garbage:
    """What one collection deleted, and the database's bytes before and after it (SQLite's
    file; 0 on PostgreSQL, whose files keep their size for reuse)."""

    listings: int
    objects: int
    bytes_before: int
    bytes_after: int


def _utc_now() -> datetime:
    return datetime.now(UTC)


class GarbageCollector:
    def __init__(
        self,
        store: CollectionStore,
        db: Database,
        pin_max_age_s: float,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """`pin_max_age_s`: a pin older than this is a killed sync's (TAPEDECK_STAGED_MAX_AGE_S,
        above the longest a sync may run)."""
        self._store = store
        self._db = db
        self._pin_max_age = timedelta(seconds=pin_max_age_s)
        self._clock = clock

    def keep_versions(self, user_id: str, versions: Iterable[str]) -> int:
        """Forgets the user's versions other than `versions`; returns how many went."""
        errors.required(user_id, "user_id")
        return self._store.keep_versions(user_id, versions)

    def collect(self) -> Garbage:
        began = time.monotonic()
        collected = self._store.collect(self._clock() - self._pin_max_age)
        marked = time.monotonic()
        before = after = 0
        if (collected.listings or collected.objects) and free_share(self._db) >= COMPACT_AT:
            before, after = compact(self._db)
        log.info(
            "garbage collected",
            extra={
                "listings": collected.listings,
                "objects": collected.objects,
                "expired_pins": collected.pins,
                "collect_s": round(marked - began, 3),
                "compact_s": round(time.monotonic() - marked, 3),
                "bytes_before": before,
                "bytes_after": after,
            },
        )
        return Garbage(collected.listings, collected.objects, before, after)
