"""Which save a read sees, and reading from it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kit import errors
from library.diffs import Diffs
from library.reads import Reads
from library.runs import SaveRuns
from library.saves import Save
from library.store import LibraryStore


@pytest.fixture
def runs(store: LibraryStore, entities: Any) -> Iterator[SaveRuns]:
    runs = SaveRuns(store, entities, write_interval_s=0.0, watch_interval_s=0.0)
    yield runs
    runs.close()


@pytest.fixture
def reads(store: LibraryStore, entities: Any) -> Reads:
    return Reads(store, entities)


def _save(runs: SaveRuns, user: str, kinds: list[str]) -> Save:
    save = runs.start(user, kinds, False)
    deadline = time.monotonic() + 5
    while not (save := runs.get(user, save.id)).ended:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return save


def _names(reads: Reads, user: str, kind: str, save_id: str = "") -> list[str]:
    page = reads.list_items(user, kind, save_id, 0, 100)
    return [json.loads(item)["name"] for item in page.items_json]


def test_before_any_save_reads_are_empty_pages(reads: Reads) -> None:
    page = reads.list_items("u1", "tracks", "", 0, 50)
    assert page.items_json == [] and page.total == 0
    assert reads.list_playlist_items("u1", "", "p1", 0, 50).total == 0
    with pytest.raises(errors.NotFound):
        reads.get_item("u1", "playlists", "", "p1")


def test_reads_see_the_newest_save_of_each_kind(
    runs: SaveRuns, reads: Reads, entities: Any
) -> None:
    entities.set("u1", "tracks", ["One"])
    entities.set("u1", "albums", ["Album A"])
    first = _save(runs, "u1", [])
    entities.set("u1", "tracks", ["One", "Two"])
    entities.set("u1", "albums", ["Album B"])
    _save(runs, "u1", ["tracks"])
    assert _names(reads, "u1", "tracks") == ["One", "Two"]
    # Albums keep reading from the save that last included them.
    assert _names(reads, "u1", "albums") == ["Album A"]
    # An older save stays readable as it was.
    assert _names(reads, "u1", "tracks", first.id) == ["One"]


def test_a_save_without_a_kind_answers_not_found_for_it(
    runs: SaveRuns, reads: Reads, entities: Any
) -> None:
    only_tracks = _save(runs, "u1", ["tracks"])
    with pytest.raises(errors.NotFound):
        reads.list_items("u1", "albums", only_tracks.id, 0, 50)
    with pytest.raises(errors.NotFound):
        reads.list_playlist_items("u1", only_tracks.id, "p1", 0, 50)


def test_a_failed_kind_is_not_read_from_its_save(
    runs: SaveRuns, reads: Reads, entities: Any
) -> None:
    entities.set("u1", "albums", ["Album A"])
    good = _save(runs, "u1", [])
    entities.set("u1", "albums", ["Album B"])
    entities.failures["albums"] = errors.Unavailable("down")
    partial = _save(runs, "u1", [])
    assert partial.status == "partial"
    assert _names(reads, "u1", "albums") == ["Album A"]
    assert _names(reads, "u1", "albums", good.id) == ["Album A"]
    with pytest.raises(errors.NotFound):
        reads.list_items("u1", "albums", partial.id, 0, 50)
    # The kinds the partial save did complete are read from it.
    assert reads.version("u1", "tracks") == partial.run("tracks").version


@pytest.mark.parametrize("save_id", ["f" * 32, "../../etc/passwd", "x" * 5000])
def test_unknown_or_malformed_save_ids_are_not_found(reads: Reads, save_id: str) -> None:
    with pytest.raises(errors.NotFound):
        reads.list_items("u1", "tracks", save_id, 0, 50)


def test_another_users_save_is_not_found(runs: SaveRuns, reads: Reads, entities: Any) -> None:
    theirs = _save(runs, "u2", [])
    with pytest.raises(errors.NotFound):
        reads.list_items("u1", "tracks", theirs.id, 0, 50)
    with pytest.raises(errors.NotFound):
        reads.get_item("u1", "playlists", theirs.id, "p1")
    # and u1's own reads do not see u2's library
    assert reads.list_items("u1", "tracks", "", 0, 50).total == 0


@pytest.mark.parametrize(("offset", "limit"), [(-1, 50), (0, -1), (0, 101)])
def test_paging_outside_the_bounds_is_refused(reads: Reads, offset: int, limit: int) -> None:
    with pytest.raises(errors.InvalidArgument):
        reads.list_items("u1", "tracks", "", offset, limit)


def test_paging_slices_the_items(runs: SaveRuns, reads: Reads, entities: Any) -> None:
    entities.set("u1", "artists", [f"Artist {n}" for n in range(5)])
    _save(runs, "u1", ["artists"])
    page = reads.list_items("u1", "artists", "", 3, 2)
    assert page.total == 5
    assert [json.loads(i)["name"] for i in page.items_json] == ["Artist 3", "Artist 4"]


def test_diff_compares_the_last_two_succeeded_saves(
    runs: SaveRuns, store: LibraryStore, entities: Any
) -> None:
    diffs = Diffs(store, entities)
    entities.set("u1", "tracks", ["One", "Two"])
    first = _save(runs, "u1", [])
    entities.set("u1", "tracks", ["Two", "Three"])
    second = _save(runs, "u1", [])
    diff = diffs.diff("u1")
    assert (diff.from_save_id, diff.to_save_id) == (first.id, second.id)
    by_kind = {k.kind: k.comparison for k in diff.kinds}
    assert set(by_kind) == {"playlists", "tracks", "albums", "artists"}
    assert [r.name for r in by_kind["tracks"].added] == ["Three"]
    assert [r.name for r in by_kind["tracks"].removed] == ["One"]
    # Unchanged kinds keep their version: no call was needed.
    assert [kind for kind, _, _ in entities.compared] == ["tracks"]


def test_diff_between_given_saves_covers_the_kinds_both_completed(
    runs: SaveRuns, store: LibraryStore, entities: Any
) -> None:
    diffs = Diffs(store, entities)
    first = _save(runs, "u1", [])
    entities.set("u1", "tracks", ["New"])
    second = _save(runs, "u1", ["tracks"])
    diff = diffs.diff("u1", first.id, second.id)
    assert [k.kind for k in diff.kinds] == ["tracks"]
    assert [r.name for r in diff.kinds[0].comparison.added] == ["New"]


def test_diff_with_a_single_save_has_nothing_before_it(
    runs: SaveRuns, store: LibraryStore, entities: Any
) -> None:
    only = _save(runs, "u1", [])
    diff = Diffs(store, entities).diff("u1")
    assert (diff.from_save_id, diff.to_save_id, diff.kinds) == ("", only.id, [])


def test_diff_without_saves_or_of_another_users_saves_is_not_found(
    runs: SaveRuns, store: LibraryStore, entities: Any
) -> None:
    diffs = Diffs(store, entities)
    with pytest.raises(errors.NotFound):
        diffs.diff("u1")
    a, b = _save(runs, "u2", []), _save(runs, "u2", [])
    with pytest.raises(errors.NotFound):
        diffs.diff("u1", a.id, b.id)
    with pytest.raises(errors.NotFound):
        diffs.diff("u1", "", b.id)


def test_reads_name_the_save_they_were_answered_from(
    runs: SaveRuns, reads: Reads, entities: Any
) -> None:
    assert reads.list_items("u1", "tracks", "", 0, 50).save_id == ""
    assert reads.list_playlist_items("u1", "", "p1", 0, 50).save_id == ""
    entities.set("u1", "tracks", ["One"])
    entities.set("u1", "playlists", ["P1"])
    first = _save(runs, "u1", [])
    assert reads.list_items("u1", "tracks", "", 0, 50).save_id == first.id
    assert reads.list_playlist_items("u1", "", "p1", 0, 50).save_id == first.id
    assert reads.get_item("u1", "playlists", "", "p1").save_id == first.id
    only_tracks = _save(runs, "u1", ["tracks"])
    assert reads.list_items("u1", "tracks", "", 0, 50).save_id == only_tracks.id
    # Albums keep reading from the save that last included them, and say so.
    assert reads.list_items("u1", "albums", "", 0, 50).save_id == first.id
    assert reads.list_items("u1", "tracks", first.id, 0, 50).save_id == first.id
