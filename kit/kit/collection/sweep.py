"""What syncs killed with their process leave behind: staged listings never sealed nor
discarded. A sweeper drops them once they are older than any live sync can be."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from kit.collection.store import CollectionStore

log = logging.getLogger(__name__)


class StagedSweeper:
    """Drops staged listings older than `max_age_s` (with their entries) at start and every
    `interval_s`: a sync killed with its process never discards its own. Safe with several
    replicas on one database, since no live sync's listing is that old."""

    def __init__(self, store: CollectionStore, max_age_s: float, interval_s: float) -> None:
        self._store = store
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
                swept = self._store.sweep_staged(datetime.now(UTC) - self._max_age)
                if swept:
                    log.info("staged listings of dead syncs dropped", extra={"listings": swept})
            except Exception:  # the database may be away for a while: try again later
                log.exception("sweeping staged listings failed")
            if self._stopping.wait(self._interval_s):
                return
