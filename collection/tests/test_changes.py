"""What the ledger is told changed between two versions (collection.changes), in
milliseconds on hand-made entries: occurrences, copies, moves, and a playlist's own changes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from collection.changes import Row, list_changes, playlist_changes, unwrap
from collection.model import digest

# Every object the tests made, by digest; `read` records which were asked for.
BODIES: dict[str, str] = {}
read: list[str] = []


def _bodies(digests: Iterable[str]) -> dict[str, str]:
    wanted = list(digests)
    read.extend(wanted)
    return {d: BODIES[d] for d in wanted}


def _stored(body: str) -> str:
    BODIES[digest(body)] = body
    return digest(body)


def _item(uri: str, added_at: str = "2026-01-01T00:00:00Z") -> Row:
    body = json.dumps(
        {"added_at": added_at, "added_by": {"id": "me"}, "item": {"uri": uri, "name": uri}}
    )
    return Row(0, uri.rsplit(":", 1)[-1], uri, uri, _stored(body), None, False)


def _list(*items: Row) -> list[Row]:
    return [e._replace(position=p) for p, e in enumerate(items)]


def _summary(changes: Sequence[Any]) -> list[tuple[Any, ...]]:
    return [(c.type, c.uri, c.occurrence, c.position, c.from_position) for c in changes]


A, B, C, D = (_item(f"spotify:track:{x}") for x in "abcd")


def test_an_unchanged_list_has_no_changes() -> None:
    assert list_changes(_list(A, B, C), _list(A, B, C), _bodies, moves=True) == []


def test_each_occurrence_added_or_removed_is_one_change_with_its_position() -> None:
    a_again = _item("spotify:track:a", "2026-02-01T00:00:00Z")
    read.clear()
    changes = list_changes(_list(A, B, C), _list(A, a_again, C, D), _bodies, moves=True)
    # Only the objects of what changed are read.
    assert sorted(read) == sorted(e.digest for e in (B, a_again, D))
    assert _summary(changes) == [
        ("removed", "spotify:track:b", 1, 1, None),
        ("added", "spotify:track:a", 2, 1, None),
        ("added", "spotify:track:d", 1, 3, None),
    ]
    added = changes[1]
    assert added.added_at == "2026-02-01T00:00:00Z"
    assert json.loads(added.added_by_json) == {"id": "me"}
    assert json.loads(added.item_json) == {"uri": "spotify:track:a", "name": "spotify:track:a"}


def test_the_copy_that_went_is_found_by_its_stored_object() -> None:
    """Two copies of a; the first (older) one removed: the remaining copy is the same
    stored object as the second, so the change names the first copy's position."""
    a_again = _item("spotify:track:a", "2026-02-01T00:00:00Z")
    changes = list_changes(_list(A, B, a_again), _list(B, a_again), _bodies, moves=True)
    assert _summary(changes) == [("removed", "spotify:track:a", 2, 0, None)]


def test_only_the_items_that_left_their_order_are_moved() -> None:
    changes = list_changes(_list(A, B, C, D), _list(D, A, B, C), _bodies, moves=True)
    assert _summary(changes) == [("moved", "spotify:track:d", 1, 0, 3)]
    # A removal shifts the rest without moving them.
    assert _summary(list_changes(_list(A, B, C, D), _list(B, C, D), _bodies, moves=True)) == [
        ("removed", "spotify:track:a", 1, 0, None)
    ]


def test_lists_other_than_a_playlists_items_have_no_moves() -> None:
    assert list_changes(_list(A, B), _list(B, A), _bodies) == []


def _playlist(
    pid: str, name: str, items: str | None, description: str = "", withheld: bool = False
) -> Row:
    body = json.dumps(
        {"id": pid, "uri": f"spotify:playlist:{pid}", "name": name, "description": description}
    )
    return Row(0, pid, f"spotify:playlist:{pid}", name, _stored(body), items, withheld)


LISTINGS = {"l1": _list(A, B), "l2": _list(A, B, C)}


def _entries(listing_id: str) -> list[Row]:
    return LISTINGS[listing_id]


def test_a_playlists_own_changes_and_its_items() -> None:
    old = [_playlist("p1", "Mine", "l1"), _playlist("p2", "Gone", "l1")]
    new = [
        _playlist("p1", "Renamed", "l2", "now described"),
        _playlist("p3", "New", None, withheld=True),
    ]
    changes = list(playlist_changes(old, new, _entries, _bodies))
    summary = [(c.type, c.playlist_id, c.uri, c.before, c.after) for c in changes]
    assert summary == [
        ("renamed", "p1", "", "Mine", "Renamed"),
        ("description_changed", "p1", "", "", "now described"),
        ("added", "p1", "spotify:track:c", None, None),
        ("playlist_added", "p3", "", None, None),
        ("withheld", "p3", "", None, None),
        ("playlist_removed", "p2", "", None, None),
        ("removed", "p2", "spotify:track:a", None, None),
        ("removed", "p2", "spotify:track:b", None, None),
    ]


def test_an_unchanged_playlists_items_are_not_read() -> None:
    same = [_playlist("p1", "Mine", "unreadable")]
    read.clear()
    assert list(playlist_changes(same, same, _entries, _bodies)) == []
    assert read == []


def test_a_saved_item_is_told_as_its_object() -> None:
    saved = json.dumps({"added_at": "2026-01-01T00:00:00Z", "album": {"id": "x"}})
    assert unwrap(saved) == ('{"id":"x"}', "2026-01-01T00:00:00Z", "")
    assert unwrap(json.dumps({"id": "artist"})) == ('{"id":"artist"}', "", "")
    assert unwrap(json.dumps({"added_at": None, "item": None})) == ("", "", "")
