"""The collection tables on SQLite and PostgreSQL: an unchanged list is stored once, objects
are shared, order and awkward items are kept, versions belong to their user."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from collection.model import Entry, ref_of
from collection.rows import new_listing_id
from collection.server import MIGRATIONS
from collection.store import CollectionStore
from collection.store.sweep import StagedSweeper, sweep_staged
from kit import errors
from kit.database import Database, open_database

AWKWARD = [
    {"id": "t1", "uri": "spotify:track:t1", "name": 'Commas, "quotes"\nand a newline'},
    None,
    {"id": None, "uri": "spotify:local:a:b:c:1", "name": "../../etc/passwd", "is_local": True},
    {"id": "e1", "uri": "spotify:episode:e1", "name": "Épisode 🎧", "type": "episode"},
    {"id": "t1", "uri": "spotify:track:t1", "name": 'Commas, "quotes"\nand a newline'},
]


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url, MIGRATIONS)
    yield database
    database.dispose()


def _counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            table: int(session.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("objects", "listings", "entries", "versions")
        }


def _save(store: CollectionStore, user: str, objects: Sequence[object]) -> str:
    staged = store.create_listing()
    store.write([(staged, [Entry(i, obj, ref_of(obj)) for i, obj in enumerate(objects)])])
    return store.record_version(user, store.seal(staged))


def test_an_unchanged_list_saved_again_takes_no_more_rows(db: Database) -> None:
    store = CollectionStore(db)
    first = _save(store, "alice", AWKWARD)
    after_one = _counts(db)
    for _ in range(5):
        assert _save(store, "alice", AWKWARD) == first
    assert _counts(db) == after_one
    # The same object twice in the list, and in another list, is one object row.
    assert after_one["objects"] == 4
    _save(store, "alice", AWKWARD[:2])
    assert _counts(db)["objects"] == 4


def test_order_and_awkward_items_read_back_exactly(db: Database) -> None:
    store = CollectionStore(db)
    version = _save(store, "alice", AWKWARD)
    listing = store.listing("alice", version)
    assert listing.count == len(AWKWARD)
    assert [json.loads(body) for _, body in store.page(listing.id, 0, 100)] == AWKWARD
    assert [json.loads(body) for _, body in store.page(listing.id, 1, 2)] == AWKWARD[1:3]
    assert store.page(listing.id, 5, 10) == []
    entry, body, _ = store.entry(listing.id, "e1")
    assert entry.position == 3 and json.loads(body) == AWKWARD[3]


def test_pages_at_an_offset_follow_the_entries_order_also_across_gaps(db: Database) -> None:
    # A sync writes positions 0..n-1, and a page then starts at position `offset`; a
    # listing whose positions have gaps must still page by entries, never by positions.
    store = CollectionStore(db)
    items = [{"id": f"t{i}", "uri": f"spotify:track:t{i}"} for i in range(7)]
    staged = store.create_listing()
    gapped = [0, 2, 3, 7, 8, 20, 21]
    store.write(
        [(staged, [Entry(p, obj, ref_of(obj)) for p, obj in zip(gapped, items, strict=True)])]
    )
    listing = store.listing("alice", store.record_version("alice", store.seal(staged)))
    for offset in range(8):
        for limit in (1, 2, 3, 100):
            page = [json.loads(body) for _, body in store.page(listing.id, offset, limit)]
            assert page == items[offset : offset + limit], (offset, limit)
            assert [json.loads(b) for b in store.bodies(listing.id, offset, limit)] == page
    plain = _save(store, "alice", items)
    whole = store.listing("alice", plain)
    for offset in range(8):
        assert [json.loads(b) for _, b in store.page(whole.id, offset, 3)] == items[offset:][:3]


def test_a_version_is_readable_by_its_user_only(db: Database) -> None:
    store = CollectionStore(db)
    version = _save(store, "alice", AWKWARD)
    with pytest.raises(errors.NotFound):
        store.listing("bob", version)
    with pytest.raises(errors.NotFound):
        store.listing("alice", "0" * 32)
    # Bob saving the same content gets his own version row over the shared listing.
    assert _save(store, "bob", AWKWARD) == version
    assert store.listing("bob", version) == store.listing("alice", version)


def test_discarding_a_failed_sync_keeps_sealed_listings(db: Database) -> None:
    store = CollectionStore(db)
    version = _save(store, "alice", AWKWARD)
    sealed = store.listing("alice", version)
    staged = store.create_listing()
    store.write([(staged, [Entry(0, {"id": "x"}, ref_of({"id": "x"}))])])
    store.discard([staged, sealed.id])
    assert [e.position for e in store.entries(sealed.id)] == list(range(len(AWKWARD)))
    assert store.entries(staged) == []


def test_racing_writers_of_the_same_list_share_one_listing(db: Database) -> None:
    store = CollectionStore(db)
    versions: list[str] = []
    failures: list[BaseException] = []

    def save() -> None:
        try:
            versions.append(_save(store, "alice", AWKWARD * 20))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=save) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(versions)) == 1
    counts = _counts(db)
    assert counts["listings"] == 1 and counts["entries"] == len(AWKWARD) * 20


def test_a_sweep_drops_only_staged_listings_older_than_its_cutoff(db: Database) -> None:
    store = CollectionStore(db)
    kept = _save(store, "alice", AWKWARD)
    before = _counts(db)
    # What a sync killed mid-way leaves: staged listings with entries, never sealed.
    dead = store.create_listing()
    store.write([(dead, [Entry(i, {"id": f"x{i}"}, ref_of({"id": f"x{i}"})) for i in range(3)])])
    store.write_encoded([], new_listings=[new_listing_id()])  # one with no entries yet
    assert _counts(db)["listings"] == before["listings"] + 2
    # Nothing is older than an hour ago: nothing goes.
    assert sweep_staged(db, datetime.now(UTC) - timedelta(hours=1)) == 0
    # Everything staged so far is older than a second from now: both go, sealed ones stay.
    assert sweep_staged(db, datetime.now(UTC) + timedelta(seconds=1)) == 2
    after = _counts(db)
    assert after["listings"] == before["listings"]
    assert after["entries"] == before["entries"]
    assert store.listing("alice", kept).count == len(AWKWARD)
    assert [body for _, body in store.page(store.listing("alice", kept).id, 0, 10)][1] == "null"
    # The dead sync's objects stay: the next save of the same items refers to them again.
    assert after["objects"] == before["objects"] + 3


def test_the_sweeper_drops_what_dead_syncs_left_and_stops(db: Database) -> None:
    store = CollectionStore(db)
    kept = _save(store, "alice", AWKWARD)
    dead = store.create_listing()
    store.write([(dead, [Entry(0, {"id": "x"}, ref_of({"id": "x"}))])])
    sweeper = StagedSweeper(db, max_age_s=0.2, interval_s=0.05)
    sweeper.start()
    try:
        deadline = time.monotonic() + 5
        while _counts(db)["listings"] > 1:
            assert time.monotonic() < deadline, "the staged listing was never swept"
            time.sleep(0.05)
    finally:
        sweeper.stop()
    assert store.listing("alice", kept).count == len(AWKWARD)
    assert _counts(db)["entries"] == len(AWKWARD)
