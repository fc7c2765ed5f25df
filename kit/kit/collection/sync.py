"""One user's sync of one kind: fetch tasks run on a bounded pool of threads, and one writer
(the thread that iterates the run) stores each page as it arrives, so nothing holds a whole
library in memory. A listing that needs several pages (a playlist's items) is sealed when
its last page is written; the top listing is sealed when every task is done."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from kit import errors
from kit.collection.model import Entry, Outcome, Progress, StoredEntry
from kit.collection.store import CollectionStore, Encoded, Listing, encode, new_listing_id
from kit.spotify.client import SpotifyClient

log = logging.getLogger(__name__)

# A batch of entries for one staged listing.
Write = tuple[str, Sequence[Entry]]
Task = Callable[[], "list[Write] | None"]

# Batches the writer stores in one transaction, at most.
BATCH = 64


class Cancelled(Exception):
    """Raised in a task that starts after its run was cancelled."""


@dataclass
class _Group:
    """A child listing being filled: complete when `pages` writes have been stored."""

    listing_id: str
    pages: int
    on_complete: Callable[[Listing | None], list[Write]]
    withheld: bool = False


@dataclass
class _Result:
    writes: list[Encoded] = field(default_factory=list)
    error: BaseException | None = None


class SyncRun:
    def __init__(
        self,
        *,
        store: CollectionStore,
        client: SpotifyClient,
        user_id: str,
        full: bool,
        base: Listing | None,
        workers: int,
        save_id: str = "",
    ) -> None:
        self.store = store
        self.save_id = save_id
        self.client = client
        self.user_id = user_id
        self.full = full
        self.base = base
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync")
        self._results: queue.Queue[_Result] = queue.Queue(maxsize=workers * 4)
        self._lock = threading.Lock()
        self._pending = 0
        self._groups: dict[str, _Group] = {}
        self._staged: list[str] = []
        self._cancelled = threading.Event()
        self._base_entries: dict[str, StoredEntry] | None = None
        # Staged listings not yet in the database, and each listing's digest lines by
        # position (kept, so sealing need not read a listing back).
        self._unborn: set[str] = set()
        self._lines: dict[str, dict[int, str]] = {}
        # Writes that completing listings produced, stored with the next batch.
        self._carry: list[Encoded] = []
        self._reused: Listing | None = None
        self.top = self.stage()
        self.total: int | None = None
        self.done = 0

    # For the kinds' plans (called on pool threads)

    def submit(self, task: Task) -> None:
        """Runs `task` on the pool; the writes it returns are stored by the writer."""
        with self._lock:
            self._pending += 1
        self._pool.submit(self._run, task)

    def stage(self) -> str:
        """A new listing to write into; created with its first write."""
        listing_id = new_listing_id()
        with self._lock:
            self._staged.append(listing_id)
            self._unborn.add(listing_id)
        return listing_id

    def expect(
        self,
        listing_id: str,
        pages: int,
        on_complete: Callable[[Listing | None], list[Write]],
    ) -> None:
        """Seals `listing_id` once `pages` writes to it are stored, then stores what
        `on_complete(sealed)` returns; `sealed` is None when the listing was withheld."""
        with self._lock:
            self._groups[listing_id] = _Group(listing_id, pages, on_complete)

    def withhold(self, listing_id: str) -> None:
        """Spotify refused this child listing's items: it completes as withheld."""
        with self._lock:
            group = self._groups.get(listing_id)
            if group is not None:
                group.withheld = True

    def set_total(self, total: int) -> None:
        with self._lock:
            self.total = total

    def base_entry(self, item_id: str) -> StoredEntry | None:
        """The entry with this Spotify id in the base version, if any (loaded once)."""
        with self._lock:
            if self._base_entries is None:
                entries = self.store.entries(self.base.id) if self.base else []
                self._base_entries = {e.ref.id: e for e in entries if e.ref.id}
            return self._base_entries.get(item_id)

    def reuse_base(self) -> None:
        """The collection is unchanged since the base version: the result is that version."""
        assert self.base is not None
        self._reused = self.base

    # The writer

    def run(self, plan: Task) -> Iterator[Progress | Outcome]:
        """Runs `plan` (which submits more tasks) to the end, storing as it goes; yields
        progress, then the outcome. Closing the iterator cancels the run."""
        ok = False
        started = time.monotonic()
        storing = 0.0
        try:
            self.submit(plan)
            yield self._progress()
            while True:
                with self._lock:
                    pending = self._pending
                if pending == 0:
                    if not self._carry:
                        break
                    self._store([])
                    continue
                results = [self._next_result()]
                while len(results) < BATCH:
                    try:
                        results.append(self._results.get_nowait())
                    except queue.Empty:
                        break
                writes: list[Encoded] = []
                for result in results:
                    if result.error is not None:
                        raise result.error
                    writes.extend(result.writes)
                began = time.monotonic()
                self._store(writes)
                storing += time.monotonic() - began
                with self._lock:
                    self._pending -= len(results)
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
            self.cancel()
            self.client.close()
            if not ok:
                with self._lock:
                    staged = list(self._staged)
                self.store.discard(staged)

    def _next_result(self) -> _Result:
        # Cancelled tasks never answer: look up now and then rather than wait forever.
        while True:
            try:
                return self._results.get(timeout=0.2)
            except queue.Empty:
                if self._cancelled.is_set():
                    raise errors.Unavailable("the sync was cancelled") from None

    def cancel(self) -> None:
        self._cancelled.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, task: Task) -> None:
        result = _Result()
        try:
            if self._cancelled.is_set():
                raise Cancelled()
            # Encoded here, on the task's thread: the parsed pages are let go at once.
            result.writes = [encode(listing_id, entries) for listing_id, entries in task() or []]
        except BaseException as exc:  # noqa: BLE001 - handed to the writer, which raises it
            result.error = exc
        while not self._cancelled.is_set():
            try:
                self._results.put(result, timeout=0.5)
                return
            except queue.Full:
                continue

    def _store(self, writes: list[Encoded]) -> None:
        """Stores a batch and seals the listings it completes, in one transaction. What
        completing them adds (their parents' entries) waits in `_carry` for the next batch."""
        writes = self._carry + writes
        self._carry = []
        if not writes:
            return
        completed: list[_Group] = []
        with self._lock:
            born = [b.listing_id for b in writes if b.listing_id in self._unborn]
            self._unborn.difference_update(born)
            for batch in writes:
                group = self._groups.get(batch.listing_id)
                if group is not None:
                    group.pages -= 1
                    if group.pages == 0:
                        completed.append(self._groups.pop(batch.listing_id))
        for batch in writes:
            self._lines.setdefault(batch.listing_id, {}).update(batch.lines())
            if batch.listing_id == self.top:
                self.done += len(batch.rows)
        seals = []
        for group in completed:
            lines = self._lines.pop(group.listing_id, {})
            if not group.withheld:
                seals.append((group.listing_id, [lines[p] for p in sorted(lines)]))
        sealed = self.store.write_encoded(
            writes, new_listings=list(dict.fromkeys(born)), seals=seals
        )
        for group in completed:
            if group.withheld:
                self.store.discard([group.listing_id])
                follow = group.on_complete(None)
            else:
                follow = group.on_complete(sealed[group.listing_id])
            self._carry.extend(encode(lid, entries) for lid, entries in follow)

    def _progress(self) -> Progress:
        with self._lock:
            return Progress(self.done, self.total, self.client.requests)

    def _finish(self) -> Outcome:
        if self._groups:
            raise errors.Unavailable("a sync ended with listings left incomplete")
        lines = self._lines.pop(self.top, {})
        if self._reused is not None:
            self.store.discard([self.top])
            listing = self._reused
        else:
            if self.top in self._unborn:  # an empty collection
                self._unborn.discard(self.top)
                self.store.write_encoded([], new_listings=[self.top])
            listing = self.store.seal(self.top, [lines[p] for p in sorted(lines)])
        version = self.store.record_version(self.user_id, listing)
        return Outcome(version, listing.count, self.client.requests)


def offsets(start: int, total: int, page_size: int) -> list[tuple[int, int]]:
    """(offset, limit) of the pages after the first `start` items of a list of `total`."""
    return [(o, min(page_size, total - o)) for o in range(start, total, page_size)]


def items_of(page: Any) -> tuple[list[Any], int]:
    """A Spotify paging object's items and total."""
    if not isinstance(page, dict):
        return [], 0
    return list(page.get("items") or []), int(page.get("total") or 0)
