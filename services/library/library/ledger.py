"""The ledger: what changed in a user's library, save by save, kept for good.

Where the events are computed and kept, and why. When a kind's sync completes, the library
asks the kind's entity service for the changes between the kind's previous completed
version (the sync's base) and the new one (`CollectionService.Changes`, from stored
listings only, never Spotify), and writes them in its own database **in the same
transaction that records the kind as completed** in the save. So a save killed mid-way
leaves no events for what it did not complete, a completed kind never lacks its events, and
a retried write cannot add them twice (one `ledger_saves` row per save and kind). Keeping
them in the library, rather than in each entity service, means one place knows both the
events and the saves' times and statuses: the history reads are single queries, newest
first across kinds, with no fan-out; and the entity services' pruning and garbage
collection never touch them. Each event keeps its own copy of the item it names (in
`ledger_items`, once per distinct object), since the versions and objects it came from may
be pruned later: events are never pruned.

This module is the logic (no SQL, no gRPC): turning changes into a batch, the backfill of
saves made before the ledger existed, and the cumulative view."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from kit import errors
from library.saves import Save

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "added",
    "removed",
    "moved",
    "renamed",
    "description_changed",
    "playlist_added",
    "playlist_removed",
    "withheld",
    "visible",
)


@dataclass(frozen=True)
class Change:
    """One change as an entity service reports it (the Change message)."""

    type: str
    playlist_id: str = ""
    item_id: str = ""
    uri: str = ""
    item_json: str = ""
    occurrence: int = 0
    position: int | None = None
    from_position: int | None = None
    added_at: str = ""
    added_by_json: str = ""
    before: str | None = None
    after: str | None = None
    playlist_name: str = ""


@dataclass(frozen=True)
class Batch:
    """One save's events of one kind, written with the kind's completion. `at`: when it was
    written; the save's finished time replaces it when the save ends."""

    user_id: str
    save_id: str
    kind: str
    base_save_id: str
    at: datetime
    changes: list[Change] = field(default_factory=list)

    @property
    def items(self) -> dict[str, str]:
        """The items' JSON by digest, once each."""
        return {item_digest(c.item_json): c.item_json for c in self.changes if c.item_json}


def item_digest(item_json: str) -> str:
    return hashlib.sha256(item_json.encode()).hexdigest()


@dataclass(frozen=True)
class Event:
    """A stored event, as the reads answer it."""

    id: int
    save_id: str
    at: datetime
    kind: str
    type: str
    playlist_id: str | None
    uri: str | None
    item_json: str | None
    occurrence: int
    position: int | None
    from_position: int | None
    added_at: str | None
    added_by_json: str | None
    before: str | None
    after: str | None
    # Its item's key in ledger_items (the reads that fold events fetch few of them).
    item_digest: str | None = None


@dataclass(frozen=True)
class EventQuery:
    user_id: str
    playlist_id: str = ""
    track_uri: str = ""
    kind: str = ""
    types: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None


class ChangeSource(Protocol):
    def changes(
        self, kind: str, user_id: str, from_version: str, to_version: str
    ) -> Iterator[Change]:
        """Raises kit.errors types (NotFound for an unknown version)."""
        ...


@dataclass(frozen=True)
class Completed:
    """A save's completed kind, for the backfill."""

    user_id: str
    save_id: str
    kind: str
    version: str
    created_at: datetime
    finished_at: datetime | None


class LedgerRepository(Protocol):
    def complete(self, save: Save, batch: Batch) -> None:
        """Writes the save's state, in which `batch`'s kind has just completed, and the
        batch, in one transaction; raises if it could not."""
        ...

    def write(self, batch: Batch) -> bool:
        """Stores a batch (on its own; a live save writes it with its completion instead);
        False when that save's kind already has its events."""
        ...

    def unrecorded(self) -> list[tuple[Completed, Completed | None]]:
        """Every ended save's completed kind without events, oldest first, with the same
        user's previous save that completed that kind (None for the first)."""
        ...

    def events(self, query: EventQuery, offset: int, limit: int) -> tuple[list[Event], int]:
        """Newest first."""
        ...

    def knows_playlist(self, user_id: str, playlist_id: str) -> bool: ...

    def item_bodies(self, digests: list[str]) -> dict[str, str]:
        """The stored items' JSON by digest."""
        ...

    def playlist_stamp(self, user_id: str, playlist_id: str) -> tuple[Any, ...]:
        """Changes whenever the playlist's events do (one cheap query on an index)."""
        ...

    def item_events(self, user_id: str, playlist_id: str) -> list[Event]:
        """The playlist's added and removed events, oldest first, without their items."""
        ...

    def kind_times(self, user_id: str, kind: str) -> dict[str, datetime]:
        """When each of the user's saves with events of `kind` was made (by save id), and
        under "" the newest."""
        ...

    def base_of(self, user_id: str, kind: str) -> dict[str, str]:
        """Each of those saves' base save (the save it was compared with)."""
        ...


# Playlists whose cumulative view is kept folded, the least recently read dropped first.
CUMULATIVE_CACHE = 32


class Ledger:
    def __init__(self, source: ChangeSource, repo: LedgerRepository) -> None:
        self._source = source
        self._repo = repo
        # (user, playlist) -> (its events' stamp, the folded view): paging through a large
        # playlist's view folds its events once, not once a page.
        self._folded: OrderedDict[tuple[str, str], tuple[tuple[Any, ...], list[Occurrence]]]
        self._folded = OrderedDict()
        self._lock = threading.Lock()

    def batch(
        self,
        kind: str,
        user_id: str,
        save_id: str,
        base: tuple[str, str],
        version: str,
        at: datetime,
    ) -> Batch:
        """The events of a save's kind that just completed with `version`, against `base`
        (the save and version it was synced against; empty for none). A base version that is
        no longer stored (pruned) is compared as empty, and logged."""
        base_save_id, base_version = base
        try:
            changes = list(self._source.changes(kind, user_id, base_version, version))
        except errors.NotFound:
            if not base_version:
                raise
            log.warning(
                "ledger base version gone; compared with nothing",
                extra={"save_id": save_id, "kind": kind},
            )
            changes = list(self._source.changes(kind, user_id, "", version))
        return Batch(user_id, save_id, kind, base_save_id, at, changes)

    def complete(self, save: Save, batch: Batch) -> None:
        self._repo.complete(save, batch)

    def backfill(self) -> int:
        """Writes the events of every ended save that has none (saves made before the ledger
        existed); returns how many save kinds it recorded. Safe to run again, and beside live
        saves: each batch is written at most once."""
        done = 0
        for save, previous in self._repo.unrecorded():
            base = (previous.save_id, previous.version) if previous is not None else ("", "")
            at = save.finished_at or save.created_at
            try:
                batch = self.batch(save.kind, save.user_id, save.save_id, base, save.version, at)
            except errors.NotFound:
                # Its own version is gone (pruned before the ledger reached it): nothing to
                # compare; the saves around it are still recorded.
                log.warning(
                    "ledger backfill: version gone",
                    extra={"save_id": save.save_id, "kind": save.kind},
                )
                continue
            if self._repo.write(batch):
                done += 1
        return done

    def events(self, query: EventQuery, offset: int, limit: int) -> tuple[list[Event], int]:
        for t in query.types:
            if t not in EVENT_TYPES:
                raise errors.InvalidArgument("type must be one of: " + ", ".join(EVENT_TYPES))
        if query.playlist_id and not self._repo.knows_playlist(query.user_id, query.playlist_id):
            raise errors.NotFound("no such playlist")
        if query.track_uri:
            _, seen = self._repo.events(EventQuery(query.user_id, track_uri=query.track_uri), 0, 1)
            if not seen:
                raise errors.NotFound("no such track")
        return self._repo.events(query, offset, limit)

    def cumulative(
        self, user_id: str, playlist_id: str, offset: int, limit: int
    ) -> tuple[list[Occurrence], int]:
        """A page of every item occurrence the playlist ever held, in first-seen order, and
        how many there are; only the page's items are read."""
        if not self._repo.knows_playlist(user_id, playlist_id):
            raise errors.NotFound("no such playlist")
        rows = self._fold(user_id, playlist_id)
        page = [replace(row) for row in rows[offset : offset + limit]]
        bodies = self._repo.item_bodies([r.item_digest for r in page if r.item_digest])
        for row in page:
            row.item_json = bodies.get(row.item_digest or "")
        return page, len(rows)

    def _fold(self, user_id: str, playlist_id: str) -> list[Occurrence]:
        """The playlist's folded view, from the cache while its events are unchanged. The
        newest playlists save is in the stamp too (it is every present row's last_seen)."""
        key = (user_id, playlist_id)
        times = self._repo.kind_times(user_id, "playlists")
        stamp = (*self._repo.playlist_stamp(user_id, playlist_id), times.get(""))
        with self._lock:
            cached = self._folded.get(key)
            if cached is not None and cached[0] == stamp:
                self._folded.move_to_end(key)
                return cached[1]
        bases = self._repo.base_of(user_id, "playlists")
        rows = build_cumulative(
            self._repo.item_events(user_id, playlist_id), times, bases, times.get("")
        )
        with self._lock:
            self._folded[key] = (stamp, rows)
            self._folded.move_to_end(key)
            while len(self._folded) > CUMULATIVE_CACHE:
                self._folded.popitem(last=False)
        return rows


@dataclass
class Cycle:
    added: datetime
    removed: datetime | None = None


@dataclass
class Occurrence:
    """A cumulative entry: one occurrence of one URI in a playlist, over its whole life."""

    uri: str
    occurrence: int
    item_digest: str | None
    first_seen: datetime
    last_seen: datetime
    added_at: str | None
    present: bool
    cycles: list[Cycle]
    # Filled for the rows a read answers.
    item_json: str | None = None


def build_cumulative(
    events: Sequence[Event],
    times: dict[str, datetime],
    bases: dict[str, str],
    newest: datetime | None,
) -> list[Occurrence]:
    """Folds a playlist's added/removed events (oldest first) into its occurrences. A present
    occurrence was last seen in the newest save; a removed one in the save its removal was
    compared with."""
    rows: dict[tuple[str, int], Occurrence] = {}
    for event in events:
        key = (event.uri or "", event.occurrence)
        row = rows.get(key)
        if event.type == "added":
            if row is None:
                row = rows[key] = Occurrence(
                    uri=event.uri or "",
                    occurrence=event.occurrence,
                    item_digest=event.item_digest,
                    first_seen=event.at,
                    last_seen=event.at,
                    added_at=event.added_at,
                    present=False,
                    cycles=[],
                )
            # Added while there already (a save compared with nothing, its base version
            # pruned first): the stay goes on.
            if not row.present:
                row.cycles.append(Cycle(event.at))
            row.present = True
            row.item_digest = event.item_digest or row.item_digest
            row.added_at = event.added_at or row.added_at
            row.last_seen = event.at
        elif event.type == "removed" and row is not None:
            if row.cycles and row.cycles[-1].removed is None:
                row.cycles[-1].removed = event.at
            row.present = False
            base = bases.get(event.save_id, "")
            row.last_seen = times.get(base, row.last_seen) if base else row.last_seen
    for row in rows.values():
        if row.present and newest is not None:
            row.last_seen = max(row.last_seen, newest)
    return list(rows.values())


class Backfill:
    """Runs `Ledger.backfill` once in a thread of its own at start, retrying while an entity
    service is not up yet (the library may start before them)."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        retry_s: Iterable[float] = (0.2, 0.5, 1, 2, 5, 10, 30, 60),
        sleep: Callable[[float], bool] | None = None,
    ) -> None:
        self._ledger = ledger
        self._retry_s = list(retry_s)
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ledger-backfill", daemon=True)

    def start(self) -> Backfill:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        delays = iter(self._retry_s)
        while not self._stop.is_set():
            try:
                n = self._ledger.backfill()
            except errors.Unavailable:
                delay = next(delays, self._retry_s[-1])
                if self._sleep(delay):
                    return
                continue
            except Exception:  # a background thread: log, and leave it to the next start
                log.exception("ledger backfill failed")
                return
            if n:
                log.info("ledger backfilled", extra={"save_kinds": n})
            self.done.set()
            return
