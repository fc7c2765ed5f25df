"""How the engine pages through Spotify's lists (collection.lists), with a tiny entity over
the in-memory Spotify: offset lists (first page, then the rest), a limit Spotify refuses
stepping down, child lists, and cursor lists one page after another."""

from __future__ import annotations

import pytest

from collection.model import Progress
from collection.sync import items_of
from collection.testing import Boxes, Engine, FakeSpotify, Followed, Songs, serve_boxes, song
from kit import errors
from kit.database import Database
from kit.spotify.client import SpotifyRefused


def test_an_offset_list_reads_its_first_page_then_the_rest_in_order(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [song(n) for n in range(120)]
    spotify.offset_list("me/songs", songs)
    engine = Engine(Songs(), database, spotify)
    outcome = engine.sync()
    assert engine.items(outcome.version) == songs
    assert outcome.count == 120
    assert spotify.last.pages("me/songs") == [(0, 50), (50, 50), (100, 20)]
    assert outcome.spotify_requests == 3
    # The first page told the total (before it, none is known).
    assert {p.total for p in engine.progress} <= {None, 120}
    assert engine.progress[-1] == Progress(done=120, total=120, spotify_requests=3)


def test_a_list_of_one_page_or_none_takes_one_request(
    database: Database, spotify: FakeSpotify
) -> None:
    engine = Engine(Songs(), database, spotify)
    spotify.offset_list("me/songs", [song(n) for n in range(50)])
    assert engine.sync().count == 50
    assert spotify.last.pages("me/songs") == [(0, 50)]
    spotify.offset_list("me/songs", [])
    empty = engine.sync()
    assert (empty.count, empty.spotify_requests) == (0, 1)
    assert engine.items(empty.version) == []


def test_a_limit_spotify_refuses_steps_down_by_halves_and_still_reads_everything(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [song(n) for n in range(120)]
    spotify.offset_list("me/songs", songs, max_limit=20)
    engine = Engine(Songs(), database, spotify)
    outcome = engine.sync()
    assert engine.items(outcome.version) == songs
    # 50 refused, then 25 refused once (its second half is not asked at 25 again): the first
    # 50 come as 12 + 13 + 12 + 13, and the rest at the stepped-down size of 12.
    assert spotify.last.pages("me/songs") == [
        (0, 12), (0, 25), (0, 50), (12, 13), (25, 12), (37, 13),
        (50, 12), (62, 12), (74, 12), (86, 12), (98, 12), (110, 10),
    ]  # fmt: skip
    assert outcome.spotify_requests == 12


def test_a_list_spotify_refuses_even_one_item_of_fails_the_sync(
    database: Database, spotify: FakeSpotify
) -> None:
    spotify.offset_list("me/songs", [song(n) for n in range(10)], max_limit=0)
    engine = Engine(Songs(page=4), database, spotify)
    with pytest.raises(errors.Unavailable, match="Spotify refused me/songs: 400"):
        engine.sync()
    # 4, 2, 1: halving stops at one item.
    assert spotify.last.pages("me/songs") == [(0, 1), (0, 2), (0, 4)]
    assert engine.staged() == 0


def test_child_lists_read_their_nested_first_page_then_the_rest_in_order(
    database: Database, spotify: FakeSpotify
) -> None:
    small = [song(n) for n in range(2)]
    large = [song(n) for n in range(100, 108)]
    serve_boxes(spotify, {"small": small, "large": large})
    engine = Engine(Boxes(), database, spotify)
    outcome = engine.sync()
    assert [box["id"] for box in engine.items(outcome.version)] == ["small", "large"]
    assert engine.children(outcome.version, "small") == small
    assert engine.children(outcome.version, "large") == large
    # 2 nested, then 3 a page from offset 2; the small box needs no request.
    assert spotify.last.pages("boxes/large/songs") == [(2, 3), (5, 3)]
    assert spotify.last.paths() == {"me/boxes": 1, "boxes/large/songs": 2}


def test_a_child_list_refused_with_403_is_kept_withheld_and_empty(
    database: Database, spotify: FakeSpotify
) -> None:
    serve_boxes(spotify, {"open": [song(1), song(2), song(3)], "shut": [song(4), song(5), song(6)]})
    spotify.fail("boxes/shut/songs", SpotifyRefused(403, "Forbidden"))
    engine = Engine(Boxes(), database, spotify)
    outcome = engine.sync()
    assert outcome.count == 2
    assert engine.children(outcome.version, "open") == [song(1), song(2), song(3)]
    assert engine.children(outcome.version, "shut") == []
    entries = engine.store.entries(engine.store.listing("alice", outcome.version).id)
    assert [(e.ref.id, e.withheld, e.children_count) for e in entries] == [
        ("open", False, 3),
        ("shut", True, 0),
    ]
    assert engine.staged() == 0


def test_a_cursor_list_is_read_one_page_after_another_until_next_is_null(
    database: Database, spotify: FakeSpotify
) -> None:
    artists = [{"id": f"a{n:03}", "uri": f"spotify:artist:a{n:03}"} for n in range(120)]
    spotify.cursor_list("me/following", "artists", artists)
    engine = Engine(Followed(), database, spotify)
    outcome = engine.sync()
    assert engine.items(outcome.version) == artists
    assert [params.get("after") for _, params in spotify.last.calls] == [None, "a049", "a099"]
    assert outcome.spotify_requests == 3
    # The total comes from the first page.
    assert {p.total for p in engine.progress} <= {None, 120}
    assert engine.progress[-1] == Progress(done=120, total=120, spotify_requests=3)


def test_a_cursor_list_of_one_page_takes_one_request(
    database: Database, spotify: FakeSpotify
) -> None:
    spotify.cursor_list("me/following", "artists", [{"id": "a1"}, {"id": "a2"}])
    engine = Engine(Followed(), database, spotify)
    outcome = engine.sync()
    assert (outcome.count, outcome.spotify_requests) == (2, 1)


def test_items_of_reads_a_missing_or_null_page_as_empty() -> None:
    assert items_of(None) == ([], 0)
    assert items_of({"items": None, "total": None}) == ([], 0)
    assert items_of({"items": [1, 2], "total": 5}) == ([1, 2], 5)


def test_a_refused_page_asks_nothing_past_the_end_of_the_list(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [song(n) for n in range(10)]
    spotify.offset_list("me/songs", songs, max_limit=20)
    engine = Engine(Songs(), database, spotify)
    outcome = engine.sync()
    assert engine.items(outcome.version) == songs
    # 50 and 25 refused, then 12 holds all ten: nothing is asked beyond them (asking both
    # halves each time took 7 requests).
    assert spotify.last.pages("me/songs") == [(0, 12), (0, 25), (0, 50)]
