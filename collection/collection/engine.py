"""The collection contract's logic, the same for every kind: sync a user's collection into
a version, page a version's items (and an item's child items), get one item, compare two
versions. What differs between kinds is an `Entity`: what to fetch and how to present it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

from collection.changes import Change, Row, list_changes, playlist_changes
from collection.entity import Entity
from collection.metrics import EntityMetrics
from collection.model import (
    ChangedItem,
    Comparison,
    Listing,
    Outcome,
    Progress,
    Ref,
    compare_refs,
)
from collection.rows import new_listing_id
from collection.store import CollectionStore
from collection.sync import SyncRun
from collection.writer import Writer
from kit import errors
from kit.spotify.client import SpotifyClient

log = logging.getLogger(__name__)

MAX_LIMIT = 1000


def check_paging(offset: int, limit: int) -> None:
    if offset < 0:
        raise errors.InvalidArgument("offset must be 0 or more")
    if not 1 <= limit <= MAX_LIMIT:
        raise errors.InvalidArgument(f"limit must be between 1 and {MAX_LIMIT}")


class Collection:
    def __init__(
        self,
        entity: Entity,
        store: CollectionStore,
        client_for: Callable[[str], SpotifyClient],
        workers: int,
        metrics: EntityMetrics | None = None,
    ) -> None:
        """`client_for(user_id)`: a Spotify client for that user's sync."""
        self.entity = entity
        self._metrics = metrics
        self._store = store
        self._client_for = client_for
        self._workers = workers
        # Running syncs by (user, save), so a save's share of requests can change midway.
        self._running: dict[tuple[str, str], SyncRun] = {}
        self._lock = threading.Lock()

    def start_sync(
        self,
        user_id: str,
        full: bool,
        base_version: str,
        *,
        save_id: str = "",
        concurrency: int = 0,
    ) -> SyncRun:
        """`concurrency`: Spotify requests in flight for this sync (0: the client's bound)."""
        errors.required(user_id, "user_id")
        if concurrency < 0:
            raise errors.InvalidArgument("concurrency must be 0 or more")
        base: Listing | None = None
        # Names the listings this sync pins, so no garbage collection takes them meanwhile.
        pin_id = new_listing_id()
        if base_version:
            base = self._store.pin_version(pin_id, user_id, base_version)
            if base is None:
                log.warning(
                    "base version unknown; syncing in full", extra={"kind": self.entity.kind}
                )
        client = self._client_for(user_id)
        client.set_concurrency(concurrency)
        return SyncRun(
            store=self._store,
            client=client,
            user_id=user_id,
            full=full,
            base=base,
            workers=self._workers,
            save_id=save_id,
            pin_id=pin_id,
        )

    def sync(self, run: SyncRun) -> Iterator[Progress | Outcome]:
        key = (run.user_id, run.save_id)
        if run.save_id:
            with self._lock:
                self._running[key] = run
        if self._metrics is not None:
            self._metrics.syncs_running.inc()
        try:
            yield from Writer(run, self._store).write(lambda: self.entity.plan(run))
        finally:
            if self._metrics is not None:
                self._metrics.syncs_running.dec()
            with self._lock:
                if self._running.get(key) is run:
                    del self._running[key]

    def set_concurrency(self, user_id: str, save_id: str, concurrency: int) -> int:
        """Changes the requests in flight of the sync running for that save; returns what
        it set (capped at the client's bound). NotFound when none is running."""
        errors.required(user_id, "user_id")
        errors.required(save_id, "save_id")
        if concurrency < 1:
            raise errors.InvalidArgument("concurrency must be 1 or more")
        with self._lock:
            run = self._running.get((user_id, save_id))
        if run is None:
            raise errors.NotFound("no sync of that save is running")
        return run.client.set_concurrency(concurrency)

    def list_items(
        self, user_id: str, version: str, offset: int, limit: int
    ) -> tuple[list[str], int]:
        check_paging(offset, limit)
        listing = self._store.listing(user_id, version)
        page = self._store.page(listing.id, offset, limit)
        return [self.entity.present(entry, body, None) for entry, body in page], listing.count

    def get_item(self, user_id: str, version: str, item_id: str) -> str:
        listing = self._store.listing(user_id, version)
        entry, body, detail = self._store.entry(listing.id, item_id)
        return self.entity.present(entry, body, detail)

    def list_children(
        self, user_id: str, version: str, item_id: str, offset: int, limit: int
    ) -> tuple[list[str], int]:
        """A page of one item's child listing (a playlist's items); empty when withheld."""
        check_paging(offset, limit)
        children = self._store.children(user_id, version, item_id)
        if children is None:
            return [], 0
        return self._store.bodies(children.id, offset, limit), children.count

    def compare(self, user_id: str, from_version: str, to_version: str) -> Comparison:
        old = self._store.entries(self._store.listing(user_id, from_version).id)
        new = self._store.entries(self._store.listing(user_id, to_version).id)
        added, removed = compare_refs([e.ref for e in old], [e.ref for e in new])
        before = {e.ref.key: e for e in old}
        changed = []
        for entry in new:
            was = before.pop(entry.ref.key, None)
            if was is None or was.children == entry.children:
                continue
            old_items = self._refs(was.children)
            new_items = self._refs(entry.children)
            items_added, items_removed = compare_refs(old_items, new_items)
            if items_added or items_removed:
                changed.append(ChangedItem(entry.ref, items_added, items_removed))
        return Comparison(added, removed, changed)

    def changes(self, user_id: str, from_version: str, to_version: str) -> Iterator[Change]:
        """Every change from one version to the next, occurrence by occurrence, for the
        library's ledger (collection.changes); an empty `from_version` is the empty
        collection. Read from stored listings only; an unchanged child listing is skipped
        without being read."""
        errors.required(to_version, "to_version")
        to_listing = self._store.listing(user_id, to_version)
        from_listing = self._store.listing(user_id, from_version) if from_version else None
        if from_version == to_version:
            return iter(())
        new = self._rows(to_listing.id)
        old = self._rows(from_listing.id) if from_listing is not None else []
        bodies = self._store.objects_by_digest
        if self.entity.kind == "playlists":
            return playlist_changes(old, new, self._rows, bodies)
        return iter(list_changes(old, new, bodies))

    def _rows(self, listing_id: str) -> list[Row]:
        return list(map(Row._make, self._store.change_rows(listing_id)))

    def _refs(self, listing_id: str | None) -> list[Ref]:
        return [] if listing_id is None else [e.ref for e in self._store.entries(listing_id)]
