"""One user's sync of one kind, as the kinds' plans see it: fetch tasks submitted to a
bounded pool of threads, the staged listings they write into, and what the base version
(the last save's) already holds. The one thread that stores what the tasks return is the
writer (collection.writer)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from collection.model import Entry, Listing, StoredEntry
from collection.rows import Encoded, encode_entries, new_listing_id
from kit import errors
from kit.spotify.client import SpotifyClient

# A batch of entries for one staged listing.
Write = tuple[str, Sequence[Entry]]
Task = Callable[[], "list[Write] | None"]


class BaseReads(Protocol):
    """What a sync reads of the stored base version (the store, or a stand-in in tests)."""

    def entries(self, listing_id: str) -> list[StoredEntry]: ...

    def first_digests(self, listing_id: str, n: int) -> list[str]: ...


class Cancelled(Exception):
    """Raised in a task that starts after its run was cancelled."""


@dataclass
class Group:
    """A child listing being filled: complete when `pages` writes have been stored."""

    listing_id: str
    pages: int
    on_complete: Callable[[Listing | None], list[Write]]
    withheld: bool = False


@dataclass
class TaskResult:
    """What one task returned, encoded on its own thread, or the error it raised."""

    writes: list[Encoded] = field(default_factory=list)
    error: BaseException | None = None


class SyncRun:
    def __init__(
        self,
        *,
        store: BaseReads,
        client: SpotifyClient,
        user_id: str,
        full: bool,
        base: Listing | None,
        workers: int,
        save_id: str = "",
        pin_id: str = "",
    ) -> None:
        """`pin_id`: what names the listings this sync pins (collection.store.gc); "" when
        it pins none (tests of plans)."""
        self.store = store
        self.pin_id = pin_id
        self.save_id = save_id
        self.client = client
        self.user_id = user_id
        self.full = full
        self.base = base
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sync")
        self._results: queue.Queue[TaskResult] = queue.Queue(maxsize=workers * 4)
        self._lock = threading.Lock()
        self._pending = 0
        self._groups: dict[str, Group] = {}
        self._staged: list[str] = []
        self._cancelled = threading.Event()
        self._base_entries: dict[str, StoredEntry] | None = None
        # Staged listings not yet in the database: each is created with its first write.
        self._unborn: set[str] = set()
        self.reused: Listing | None = None
        self.top = self.stage()
        self.total: int | None = None

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
            self._groups[listing_id] = Group(listing_id, pages, on_complete)

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
        self.reused = self.base

    def cancel(self) -> None:
        self._cancelled.set()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # For the writer

    @property
    def pending(self) -> int:
        """Tasks submitted whose results the writer has not yet taken in."""
        with self._lock:
            return self._pending

    def results(self, most: int) -> list[TaskResult]:
        """The next task results, at least one and at most `most` (waiting for the first);
        Unavailable when the run is cancelled meanwhile."""
        taken = [self._next_result()]
        while len(taken) < most:
            try:
                taken.append(self._results.get_nowait())
            except queue.Empty:
                break
        return taken

    def taken_in(self, n: int) -> None:
        """The writer has stored the results of `n` tasks."""
        with self._lock:
            self._pending -= n

    def born(self, listing_ids: Sequence[str]) -> list[str]:
        """Which of these listings are written for the first time now (each once)."""
        with self._lock:
            born = [listing_id for listing_id in listing_ids if listing_id in self._unborn]
            self._unborn.difference_update(born)
        return list(dict.fromkeys(born))

    def page_stored(self, listing_id: str) -> Group | None:
        """One more write to `listing_id` is stored: its group, when that completes it."""
        with self._lock:
            group = self._groups.get(listing_id)
            if group is None:
                return None
            group.pages -= 1
            return self._groups.pop(listing_id) if group.pages == 0 else None

    @property
    def incomplete(self) -> bool:
        """Some child listing still waits for pages."""
        with self._lock:
            return bool(self._groups)

    @property
    def staged(self) -> list[str]:
        with self._lock:
            return list(self._staged)

    def _next_result(self) -> TaskResult:
        # Cancelled tasks never answer: look up now and then rather than wait forever.
        while True:
            try:
                return self._results.get(timeout=0.2)
            except queue.Empty:
                if self._cancelled.is_set():
                    raise errors.Unavailable("the sync was cancelled") from None

    def _run(self, task: Task) -> None:
        result = TaskResult()
        try:
            if self._cancelled.is_set():
                raise Cancelled()
            # Encoded here, on the task's thread: the parsed pages are let go at once.
            result.writes = [encode_entries(lid, entries) for lid, entries in task() or []]
        except BaseException as exc:  # noqa: BLE001 - handed to the writer, which raises it
            result.error = exc
        while not self._cancelled.is_set():
            try:
                self._results.put(result, timeout=0.5)
                return
            except queue.Full:
                continue


def offsets(start: int, total: int, page_size: int) -> list[tuple[int, int]]:
    """(offset, limit) of the pages after the first `start` items of a list of `total`."""
    return [(o, min(page_size, total - o)) for o in range(start, total, page_size)]


def items_of(page: Any) -> tuple[list[Any], int]:
    """A Spotify paging object's items and total."""
    if not isinstance(page, dict):
        return [], 0
    return list(page.get("items") or []), int(page.get("total") or 0)
