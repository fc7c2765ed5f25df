"""What syncs killed with their process leave behind: staged listings never sealed nor
discarded. A sweeper drops them once they are older than any live sync can be."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from collection.store.tables import EntryRow, ListingRow
from kit.database import Database

log = logging.getLogger(__name__)


def sweep_staged(db: Database, older_than: datetime) -> int:
    """Drops staged listings created before `older_than`, and their entries: what syncs
    that died (a killed process) left behind. Their objects stay: a later save of the
    same library refers to them again. Returns how many listings went."""
    with db.write() as session:
        stale = list(
            session.scalars(
                sa.select(ListingRow.id).where(
                    ListingRow.digest.is_(None), ListingRow.created_at < older_than
                )
            )
        )
        if stale:
            session.execute(sa.delete(EntryRow).where(EntryRow.listing_id.in_(stale)))
            session.execute(sa.delete(ListingRow).where(ListingRow.id.in_(stale)))
    return len(stale)


class StagedSweeper:
    """Drops staged listings older than `max_age_s` (with their entries) at start and every
    `interval_s`: a sync killed with its process never discards its own. Safe with several
    replicas on one database, since no live sync's listing is that old."""

    def __init__(self, db: Database, max_age_s: float, interval_s: float) -> None:
        self._db = db
        self._max_age = timedelta(seconds=max_age_s)
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sweep-staged", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            try:
                swept = sweep_staged(self._db, datetime.now(UTC) - self._max_age)
                if swept:
                    log.info("staged listings of dead syncs dropped", extra={"listings": swept})
            except Exception:  # the database may be away for a while: try again later
                log.exception("sweeping staged listings failed")
            if self._stopping.wait(self._interval_s):
                return
