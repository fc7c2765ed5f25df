"""The writer of a sync: the one thread that stores what the fetch tasks return, page by page
as it arrives, so nothing holds a whole library in memory. A listing that needs several pages
(a playlist's items) is sealed when its last page is stored; the top listing is sealed, and
the user's version recorded, when every task is done."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from collection.model import Outcome, Progress
from collection.rows import Encoded, encode_entries
from collection.store import CollectionStore
from collection.sync import Group, SyncRun, Task
from kit import errors

log = logging.getLogger(__name__)

# Task results the writer stores in one transaction, at most.
BATCH = 64


class Writer:
    def __init__(self, run: SyncRun, store: CollectionStore) -> None:
        self._run = run
        self._store = store
        # Each listing's digest lines by position, kept so sealing need not read it back.
        self._lines: dict[str, dict[int, str]] = {}
        # Writes that completing listings produced, stored with the next batch.
        self._carry: list[Encoded] = []
        # Entries stored in the top listing.
        self._done = 0

    def write(self, plan: Task) -> Iterator[Progress | Outcome]:
        """Runs `plan` (which submits more tasks) to the end, storing as it goes; yields
        progress, then the outcome. Closing the iterator cancels the run."""
        run = self._run
        ok = False
        started = time.monotonic()
        storing = 0.0
        try:
            run.submit(plan)
            yield self._progress()
            while True:
                if run.pending == 0:
                    if not self._carry:
                        break
                    self._write([])
                    continue
                results = run.results(BATCH)
                writes: list[Encoded] = []
                for result in results:
                    if result.error is not None:
                        raise result.error
                    writes.extend(result.writes)
                began = time.monotonic()
                self._write(writes)
                storing += time.monotonic() - began
                run.taken_in(len(results))
                yield self._progress()
            outcome = self._finish()
            ok = True
            log.info(
                "sync finished",
                extra={
                    "count": outcome.count,
                    "spotify_requests": outcome.spotify_requests,
                    "seconds": round(time.monotonic() - started, 3),
                    # Time the one writer spent storing: near `seconds`, it is the bound.
                    "storing_s": round(storing, 3),
                },
            )
            yield outcome
        finally:
            run.cancel()
            run.client.close()
            if not ok:
                self._store.discard(run.staged)
            if run.pin_id:
                # After the version is recorded: what the sync pinned is reached from it now.
                self._store.unpin(run.pin_id)

    def _write(self, writes: list[Encoded]) -> None:
        """Stores a batch and seals the listings it completes, in one transaction. What
        completing them adds (their parents' entries) waits in `_carry` for the next batch."""
        run = self._run
        writes = self._carry + writes
        self._carry = []
        if not writes:
            return
        born = run.born([batch.listing_id for batch in writes])
        completed: list[Group] = []
        for batch in writes:
            group = run.page_stored(batch.listing_id)
            if group is not None:
                completed.append(group)
            self._lines.setdefault(batch.listing_id, {}).update(batch.lines())
            if batch.listing_id == run.top:
                self._done += len(batch.rows)
        seals = []
        for group in completed:
            lines = self._lines.pop(group.listing_id, {})
            if not group.withheld:
                seals.append((group.listing_id, [lines[p] for p in sorted(lines)]))
        sealed = self._store.write_encoded(writes, new_listings=born, seals=seals, pin=run.pin_id)
        for group in completed:
            if group.withheld:
                self._store.discard([group.listing_id])
                follow = group.on_complete(None)
            else:
                follow = group.on_complete(sealed[group.listing_id])
            self._carry.extend(encode_entries(lid, entries) for lid, entries in follow)

    def _progress(self) -> Progress:
        return Progress(self._done, self._run.total, self._run.client.requests)

    def _finish(self) -> Outcome:
        run = self._run
        if run.incomplete:
            raise errors.Unavailable("a sync ended with listings left incomplete")
        lines = self._lines.pop(run.top, {})
        if run.reused is not None:
            self._store.discard([run.top])
            listing = run.reused
        else:
            born = run.born([run.top])
            if born:  # an empty collection
                self._store.write_encoded([], new_listings=born)
            listing = self._store.seal(run.top, [lines[p] for p in sorted(lines)], pin=run.pin_id)
        version = self._store.record_version(run.user_id, listing)
        return Outcome(version, listing.count, run.client.requests)
