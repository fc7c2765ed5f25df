"""What a collection holds (collection.model) and how reads check and compare it: references,
lists compared as multisets, JSON kept as sent, paging bounds, and comparing two versions
made by the engine."""

from __future__ import annotations

import pytest

from collection.engine import MAX_LIMIT
from collection.model import ChangedItem, Comparison, Ref, compare_refs, digest, json_text, ref_of
from collection.testing import Boxes, Engine, FakeSpotify, Songs, serve_boxes, song
from kit import errors
from kit.database import Database

A = Ref("a", "spotify:track:a", "A")
B = Ref("b", "spotify:track:b", "B")
C = Ref("c", "spotify:track:c", "C")


def test_compare_refs_counts_duplicates_as_a_multiset() -> None:
    # Twice before, once now: removed once. Once before, twice now: added once.
    assert compare_refs([A, A, B], [A, B, C]) == ([C], [A])
    assert compare_refs([A, B], [A, B, A]) == ([A], [])
    assert compare_refs([A, B, A], [A]) == ([], [B, A])
    assert compare_refs([A, B], [B, A]) == ([], [])
    assert compare_refs([], [C, A]) == ([C, A], [])


def test_an_item_is_known_by_its_uri_else_its_id() -> None:
    local = Ref("", "spotify:local:artist:album:title:200", "title")
    assert local.key == "spotify:local:artist:album:title:200"
    assert Ref("x", "", "").key == "x"
    # The same uri under another name is the same item.
    assert compare_refs([A], [Ref("a", "spotify:track:a", "A (Remastered)")]) == ([], [])
    # Null items (a removed track) all look alike: one fewer is one removed.
    assert compare_refs([Ref(), Ref(), A], [A, Ref()]) == ([], [Ref()])


def test_ref_of_reads_what_spotify_sent_and_nothing_else() -> None:
    assert ref_of(None) == Ref()
    assert ref_of("spotify:track:a") == Ref()
    assert ref_of({"id": None, "uri": "spotify:local:a:b:c:1", "name": "c"}) == Ref(
        "", "spotify:local:a:b:c:1", "c"
    )
    assert ref_of({"id": 7, "uri": ["x"], "name": "n"}) == Ref("", "", "n")


def test_json_is_kept_as_sent_and_equal_content_has_one_digest() -> None:
    obj = {"z": 1, "a": "Épisode 🎧", "n": None, "l": [1.5, True]}
    assert json_text(obj) == '{"z":1,"a":"Épisode 🎧","n":null,"l":[1.5,true]}'
    assert digest(json_text(obj)) == digest(json_text(dict(obj)))
    assert digest(json_text({"a": 1, "z": 1})) != digest(json_text({"z": 1, "a": 1}))


@pytest.mark.parametrize(("offset", "limit"), [(-1, 10), (0, 0), (0, -5), (0, MAX_LIMIT + 1)])
def test_reads_refuse_paging_out_of_bounds(
    database: Database, spotify: FakeSpotify, offset: int, limit: int
) -> None:
    serve_boxes(spotify, {"a": [song(1), song(2), song(3)]})
    engine = Engine(Boxes(), database, spotify)
    version = engine.sync().version
    with pytest.raises(errors.InvalidArgument):
        engine.collection.list_items("alice", version, offset, limit)
    with pytest.raises(errors.InvalidArgument):
        engine.collection.list_children("alice", version, "a", offset, limit)
    # Checked before the version is looked up.
    with pytest.raises(errors.InvalidArgument):
        engine.collection.list_items("alice", "unknown", offset, limit)


def test_reads_page_within_bounds(database: Database, spotify: FakeSpotify) -> None:
    spotify.offset_list("me/songs", [song(n) for n in range(5)])
    engine = Engine(Songs(), database, spotify)
    version = engine.sync().version
    items, total = engine.collection.list_items("alice", version, 0, MAX_LIMIT)
    assert (len(items), total) == (5, 5)
    assert engine.collection.list_items("alice", version, 3, 1)[0] == [json_text(song(3))]
    # Past the end: an empty page, still with the total.
    assert engine.collection.list_items("alice", version, 99, 1) == ([], 5)


def test_reads_of_an_unknown_version_or_item_are_not_found(
    database: Database, spotify: FakeSpotify
) -> None:
    serve_boxes(spotify, {"a": [song(1)]})
    engine = Engine(Boxes(), database, spotify)
    version = engine.sync().version
    assert engine.item(version, "a")["id"] == "a"
    for read in (
        lambda: engine.collection.get_item("alice", version, "nope"),
        lambda: engine.collection.get_item("alice", "0" * 32, "a"),
        lambda: engine.collection.list_children("alice", version, "nope", 0, 10),
        lambda: engine.collection.list_items("bob", version, 0, 10),
    ):
        with pytest.raises(errors.NotFound):
            read()


def test_comparing_versions_names_items_added_removed_and_changed_inside(
    database: Database, spotify: FakeSpotify
) -> None:
    s = [song(n) for n in range(10)]
    serve_boxes(spotify, {"kept": s[:3], "changed": [s[3], s[4], s[4], s[5]], "gone": s[6:8]})
    engine = Engine(Boxes(), database, spotify)
    before = engine.sync().version
    serve_boxes(spotify, {"new": s[8:], "kept": s[:3], "changed": [s[4], s[5], s[9], s[9]]})
    after = engine.sync(base=before).version

    def box(box_id: str) -> Ref:
        return Ref(box_id, f"spotify:box:{box_id}", "")

    def ref(n: int) -> Ref:
        return ref_of(song(n))

    assert engine.collection.compare("alice", before, after) == Comparison(
        added=[box("new")],
        removed=[box("gone")],
        changed=[ChangedItem(box("changed"), added=[ref(9), ref(9)], removed=[ref(3), ref(4)])],
    )
    # Backwards, the other way round.
    assert engine.collection.compare("alice", after, before) == Comparison(
        added=[box("gone")],
        removed=[box("new")],
        changed=[ChangedItem(box("changed"), added=[ref(3), ref(4)], removed=[ref(9), ref(9)])],
    )
    assert engine.collection.compare("alice", after, after) == Comparison()
    with pytest.raises(errors.NotFound):
        engine.collection.compare("bob", before, after)
