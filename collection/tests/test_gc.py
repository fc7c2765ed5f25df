"""Dropping versions and collecting garbage, on SQLite and PostgreSQL: what no kept version,
staged listing or pin reaches goes; what one does stays and reads back the same; a
collection racing writers loses nothing of theirs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from collection.gc import GarbageCollector
from collection.model import Entry, ref_of
from collection.server import MIGRATIONS
from collection.store import CollectionStore
from kit.database import Database, open_database


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url, MIGRATIONS)
    yield database
    database.dispose()


def _track(n: int) -> dict[str, object]:
    return {"id": f"t{n}", "uri": f"spotify:track:t{n}", "name": f"Song {n}", "pad": "x" * 500}


def _counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            table: int(session.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("objects", "listings", "entries", "versions", "pins")
        }


def _save(store: CollectionStore, user: str, objects: Sequence[object], pin: str = "") -> str:
    """A version of a playlist list: one entry whose child listing holds `objects`."""
    items = store.create_listing()
    store.write([(items, [Entry(i, obj, ref_of(obj)) for i, obj in enumerate(objects)])])
    child = store.seal(items, pin=pin)
    top = store.create_listing()
    playlist = {"id": "p1", "uri": "spotify:playlist:p1", "name": "Mix"}
    store.write([(top, [Entry(0, playlist, ref_of(playlist), children=child.id)])])
    return store.record_version(user, store.seal(top, pin=pin))


def _items(store: CollectionStore, user: str, version: str) -> list[str]:
    children = store.children(user, version, "p1")
    assert children is not None
    return store.bodies(children.id, 0, 1000)


def test_dropped_versions_go_and_kept_and_shared_ones_read_back_the_same(db: Database) -> None:
    store = CollectionStore(db)
    gc = GarbageCollector(store, db, pin_max_age_s=3600)
    old = _save(store, "alice", [_track(n) for n in range(0, 20)])
    kept = _save(store, "alice", [_track(n) for n in range(10, 30)])
    shared = _save(store, "bob", [_track(n) for n in range(0, 20)])  # bob's is alice's old one
    gone = _save(store, "alice", [_track(n) for n in range(100, 120)])
    kept_items = _items(store, "alice", kept)
    bob_items = _items(store, "bob", shared)
    before = _counts(db)

    assert gc.keep_versions("alice", [kept]) == 2
    garbage = gc.collect()

    after = _counts(db)
    # `gone`'s two listings and 20 tracks and its own playlist object are gone; `old` is
    # bob's version too (the same content), so it stays whole.
    assert garbage.listings == 2 and before["listings"] - after["listings"] == 2
    assert garbage.objects == 20 and before["objects"] - after["objects"] == 20
    assert after["versions"] == 2 and after["pins"] == 0
    assert _items(store, "alice", kept) == kept_items
    assert store.pin_version("reader", "alice", old) is None
    assert store.pin_version("reader", "alice", gone) is None
    assert _items(store, "bob", shared) == bob_items
    # Collecting again finds nothing more.
    again = gc.collect()
    assert (again.listings, again.objects) == (0, 0)


def test_staged_and_pinned_listings_stay_until_their_sync_ends(db: Database) -> None:
    store = CollectionStore(db)
    gc = GarbageCollector(store, db, pin_max_age_s=3600)
    version = _save(store, "alice", [_track(n) for n in range(5)])
    # A sync builds on that version (pinning its listing), then the version is dropped.
    base = store.pin_version("sync1", "alice", version)
    assert base is not None
    staged = store.create_listing()
    store.write([(staged, [Entry(0, _track(99), ref_of(_track(99)))])])
    assert gc.keep_versions("alice", []) == 1
    assert gc.collect().listings == 0
    # Its base and what it reaches, and the staged listing's object, are all still there.
    assert [e.ref.id for e in store.entries(base.id)] == ["p1"]
    assert store.bodies(staged, 0, 10)
    store.unpin("sync1")
    store.discard([staged])
    garbage = gc.collect()
    assert garbage.listings == 2 and garbage.objects == 7
    assert _counts(db) == {"objects": 0, "listings": 0, "entries": 0, "versions": 0, "pins": 0}


def test_a_killed_syncs_pins_expire(db: Database) -> None:
    store = CollectionStore(db)
    later = datetime.now(UTC) + timedelta(hours=2)
    gc = GarbageCollector(store, db, pin_max_age_s=3600, clock=lambda: later)
    version = _save(store, "alice", [_track(1)], pin="dead-sync")
    assert _counts(db)["pins"] == 2
    gc.keep_versions("alice", [])
    garbage = gc.collect()
    assert garbage.listings == 2
    assert _counts(db) == {"objects": 0, "listings": 0, "entries": 0, "versions": 0, "pins": 0}
    assert store.pin_version("s", "alice", version) is None


def test_collections_racing_writers_lose_none_of_their_objects(db: Database) -> None:
    """Writers keep saving lists that share objects with garbage while collections run:
    every version recorded reads back whole."""
    store = CollectionStore(db)
    gc = GarbageCollector(store, db, pin_max_age_s=3600)
    stop = threading.Event()
    failures: list[BaseException] = []

    def collect() -> None:
        try:
            while not stop.is_set():
                gc.keep_versions("alice", [])
                gc.collect()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)

    collector = threading.Thread(target=collect)
    collector.start()
    try:
        for round_ in range(10):
            tracks = [_track(n) for n in range(round_, round_ + 8)]
            pin = f"sync{round_}"
            version = _save(store, "bob", tracks, pin=pin)
            store.unpin(pin)
            # Every object bob's version holds is there, whatever the collector did.
            items = [json.loads(body) for body in _items(store, "bob", version)]
            assert items == tracks
            store.keep_versions("bob", [version])
            # A sync of alice's seals the same content (sharing bob's listing), then its
            # version becomes garbage at once.
            _save(store, "alice", tracks, pin=f"alice{round_}")
            store.unpin(f"alice{round_}")
    finally:
        stop.set()
        collector.join()
    assert not failures
