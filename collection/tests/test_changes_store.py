"""The ledger's changes read from stored versions, on SQLite and PostgreSQL: two versions of
a list (an item removed, one added, a second copy of one), an unknown version, and the same
version twice."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from collection.engine import Collection
from collection.model import Entry, ref_of
from collection.server import MIGRATIONS
from collection.store import CollectionStore
from kit import errors
from kit.database import Database, open_database


class _Songs:
    kind = "songs"

    def plan(self, run: Any) -> None:  # never synced here
        raise AssertionError

    def present(self, entry: Any, body: str, detail: str | None) -> str:
        return body


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url, MIGRATIONS)
    yield database
    database.dispose()


def _saved(uri: str, added_at: str) -> dict[str, Any]:
    return {"added_at": added_at, "track": {"id": uri[-2:], "uri": uri, "name": uri}}


def _save(store: CollectionStore, user: str, objects: Sequence[dict[str, Any]]) -> str:
    staged = store.create_listing()
    store.write([(staged, [Entry(i, obj, ref_of(obj["track"])) for i, obj in enumerate(objects)])])
    return store.record_version(user, store.seal(staged))


def test_changes_between_stored_versions(db: Database) -> None:
    store = CollectionStore(db)
    songs = Collection(_Songs(), store, lambda user: None, 1)  # type: ignore[arg-type, return-value]
    a, b, c = (_saved(f"spotify:track:t{n}", f"2026-01-0{n}T00:00:00Z") for n in (1, 2, 3))
    a_again = _saved("spotify:track:t1", "2026-02-01T00:00:00Z")
    first = _save(store, "alice", [a, b])
    second = _save(store, "alice", [a_again, a, c])

    changes = list(songs.changes("alice", first, second))
    assert [(ch.type, ch.uri, ch.occurrence, ch.position, ch.added_at) for ch in changes] == [
        ("removed", "spotify:track:t2", 1, 1, "2026-01-02T00:00:00Z"),
        ("added", "spotify:track:t1", 2, 0, "2026-02-01T00:00:00Z"),
        ("added", "spotify:track:t3", 1, 2, "2026-01-03T00:00:00Z"),
    ]
    assert json.loads(changes[2].item_json) == c["track"]
    everything = list(songs.changes("alice", "", first))
    assert [(ch.type, ch.uri) for ch in everything] == [
        ("added", "spotify:track:t1"),
        ("added", "spotify:track:t2"),
    ]
    assert list(songs.changes("alice", second, second)) == []
    with pytest.raises(errors.NotFound):
        list(songs.changes("bob", first, second))
