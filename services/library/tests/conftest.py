"""An in-memory stand-in for the entity services, for the library's logic and servicer tests
(the real services take part in the system tests, tests/library)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from kit import errors
from kit.database import open_database
from library.entities import Comparison, Outcome, Page, Progress, Ref, SyncOrder
from library.store import LibraryStore
from library.wiring import MIGRATIONS


@dataclass
class InMemoryEntities:
    """Each user's collections as lists of {"id", "name"} items; a sync makes a version named
    by the content's hash, so an unchanged collection keeps its version."""

    library: dict[str, dict[str, list[dict[str, str]]]] = field(default_factory=dict)
    versions: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    orders: list[tuple[str, SyncOrder]] = field(default_factory=list)
    # A kind whose sync fails with this error.
    failures: dict[str, errors.TapedeckError] = field(default_factory=dict)
    # A kind whose sync waits (after its first progress) until its event is set.
    gates: dict[str, threading.Event] = field(default_factory=dict)
    compared: list[tuple[str, str, str]] = field(default_factory=list)
    cancelled: threading.Event = field(default_factory=threading.Event)
    # (kind, save_id, concurrency) of every share handed on, in order.
    resized: list[tuple[str, str, int]] = field(default_factory=list)
    running: set[tuple[str, str]] = field(default_factory=set)

    def set(self, user_id: str, kind: str, names: list[str]) -> None:
        self.library.setdefault(user_id, {})[kind] = [
            {"id": name.lower().replace(" ", "-"), "name": name} for name in names
        ]

    def sync(self, kind: str, order: SyncOrder, on_progress: Callable[[Progress], None]) -> Outcome:
        self.orders.append((kind, order))
        self.running.add((kind, order.save_id))
        try:
            return self._sync(kind, order, on_progress)
        finally:
            self.running.discard((kind, order.save_id))

    def _sync(
        self, kind: str, order: SyncOrder, on_progress: Callable[[Progress], None]
    ) -> Outcome:
        items = list(self.library.get(order.user_id, {}).get(kind, []))
        on_progress(Progress(0, len(items), 1))
        gate = self.gates.get(kind)
        if gate is not None:
            while not gate.wait(0.01):
                if self.cancelled.is_set():
                    raise errors.Unavailable("cancelled")
        if kind in self.failures:
            raise self.failures[kind]
        for done in range(1, len(items) + 1):
            on_progress(Progress(done, len(items), 1 + done))
        blob = json.dumps([order.user_id, kind, items], sort_keys=True).encode()
        version = hashlib.sha256(blob).hexdigest()[:16]
        self.versions[version] = items
        return Outcome(version, len(items), 1 + len(items))

    def cancel_syncs(self) -> None:
        self.cancelled.set()

    def set_concurrency(self, kind: str, user_id: str, save_id: str, concurrency: int) -> None:
        if (kind, save_id) not in self.running:
            raise errors.NotFound("no sync of that save is running")
        self.resized.append((kind, save_id, concurrency))

    def list_items(self, kind: str, user_id: str, version: str, offset: int, limit: int) -> Page:
        items = self.versions[version]
        return Page([json.dumps(i) for i in items[offset : offset + limit]], len(items))

    def get_item(self, kind: str, user_id: str, version: str, item_id: str) -> str:
        for item in self.versions[version]:
            if item["id"] == item_id:
                return json.dumps(item)
        raise errors.NotFound("no such item")

    def list_playlist_items(
        self, user_id: str, version: str, playlist_id: str, offset: int, limit: int
    ) -> Page:
        self.get_item("playlists", user_id, version, playlist_id)
        tracks = [json.dumps({"track": f"{playlist_id}-{n}"}) for n in range(3)]
        return Page(tracks[offset : offset + limit], len(tracks))

    def compare(self, kind: str, user_id: str, from_version: str, to_version: str) -> Comparison:
        self.compared.append((kind, from_version, to_version))
        old = {i["id"]: i for i in self.versions[from_version]}
        new = {i["id"]: i for i in self.versions[to_version]}
        return Comparison(
            added=[Ref(i, "", new[i]["name"]) for i in new if i not in old],
            removed=[Ref(i, "", old[i]["name"]) for i in old if i not in new],
        )


@pytest.fixture
def entities() -> InMemoryEntities:
    return InMemoryEntities()


@pytest.fixture
def store(sqlite_database_url: str) -> Iterator[LibraryStore]:
    db = open_database(sqlite_database_url, MIGRATIONS)
    yield LibraryStore(db)
    db.dispose()
