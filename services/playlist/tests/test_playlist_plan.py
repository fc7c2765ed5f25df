"""The playlist service's plan and presentation (playlist.playlists) on the real engine over
the in-memory Spotify: playlists in both shapes, every item of a long playlist, withheld
playlists, playlists whose snapshot_id did not change left unfetched, and what reads show."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pytest

from collection.testing import API, Engine, FakeSpotify, Json, paging
from kit.database import Database
from kit.spotify.client import SpotifyRefused
from playlist.playlists import Playlists

Shape = Literal["2026", "legacy"]
SHAPES: list[Shape] = ["2026", "legacy"]
# The full playlist object carries this many items; /items pages 50 (2026) or 100 (legacy).
NESTED = 100


def track(n: int) -> Json:
    return {"id": f"t{n}", "uri": f"spotify:track:t{n}", "name": f"Track {n}", "type": "track"}


def item(obj: Any, shape: Shape = "2026", local: bool = False) -> Json:
    """A playlist item: its track or episode under `item` (2026) or `track` (legacy)."""
    key = "item" if shape == "2026" else "track"
    return {"added_at": "2025-01-02T03:04:05Z", "is_local": local, key: obj}


def items(n: int, shape: Shape = "2026", start: int = 0) -> list[Json]:
    return [item(track(i), shape) for i in range(start, start + n)]


@dataclass
class Playlist:
    id: str
    items: list[Json]
    snapshot: str = "s1"
    # Spotify keeps the items from this app: `items: null` in the full object, and 403.
    withheld: bool = False
    # Only /items answers 403 (the full object still carries its first page).
    items_refused: bool = False


def _common(p: Playlist) -> Json:
    return {
        "collaborative": False,
        "description": f"About {p.id}",
        "id": p.id,
        "name": f"Playlist {p.id}",
        "owner": {"id": "owner", "display_name": "Owner", "type": "user"},
        "public": True,
        "snapshot_id": p.snapshot,
        "type": "playlist",
        "uri": f"spotify:playlist:{p.id}",
    }


def serve(spotify: FakeSpotify, playlists: list[Playlist], shape: Shape = "2026") -> None:
    """The user's playlists in /me/playlists, each one's full object at /playlists/{id} and
    its items at /playlists/{id}/items."""
    key = "items" if shape == "2026" else "tracks"
    listed = []
    for p in playlists:
        path = f"playlists/{p.id}"
        total = len(p.items)
        listed.append({**_common(p), key: {"href": f"{API}/{path}/{key}", "total": total}})
        nested = None
        if not p.withheld:
            nested = paging(f"{path}/{key}", p.items[:NESTED], 0, NESTED, total)
        spotify.object(path, {**_common(p), "followers": {"href": None, "total": 3}, key: nested})
        spotify.offset_list(f"{path}/items", p.items, max_limit=50 if shape == "2026" else 100)
        spotify.failures.pop((f"{path}/items", None), None)
        if p.withheld or p.items_refused:
            spotify.fail(f"{path}/items", SpotifyRefused(403, "Forbidden"))
    spotify.offset_list("me/playlists", listed)


def engine(database: Database, spotify: FakeSpotify, page_size: int = 50) -> Engine:
    return Engine(Playlists(page_size), database, spotify)


def saved(n: int, withheld: bool = False) -> Json:
    """What reads add to a playlist: how many of its items were saved, whether withheld."""
    return {"items_saved": n, "items_withheld": withheld}


@pytest.mark.parametrize("shape", SHAPES)
def test_playlists_and_their_items_are_saved_in_either_shape(
    database: Database, spotify: FakeSpotify, shape: Shape
) -> None:
    playlists = [Playlist("p1", items(3, shape)), Playlist("p2", [])]
    serve(spotify, playlists, shape)
    e = engine(database, spotify)
    outcome = e.sync()
    # Each playlist as /me/playlists listed it, with the tapedeck key reads add.
    assert e.items(outcome.version) == [
        {**spotify.lists["me/playlists"][0], "tapedeck": saved(3)},
        {**spotify.lists["me/playlists"][1], "tapedeck": saved(0)},
    ]
    assert e.children(outcome.version, "p1") == items(3, shape)
    assert e.children(outcome.version, "p2") == []
    # Items within the full object's first page need no call to /items.
    assert spotify.last.paths() == {"me/playlists": 1, "playlists/p1": 1, "playlists/p2": 1}
    assert spotify.last.calls[1][1] == {"additional_types": "track,episode"}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_playlist_longer_than_its_first_page_reads_every_item_in_order(
    database: Database, spotify: FakeSpotify, shape: Shape
) -> None:
    long = items(230, shape)
    serve(spotify, [Playlist("long", long)], shape)
    e = engine(database, spotify)
    outcome = e.sync()
    assert e.children(outcome.version, "long") == long
    assert e.children_total(outcome.version, "long") == 230
    assert e.items(outcome.version)[0]["tapedeck"] == saved(230)
    # 100 in the full object, then 50 a page.
    assert spotify.last.pages("playlists/long/items") == [(100, 50), (150, 50), (200, 30)]
    assert outcome.spotify_requests == 1 + 1 + 3


def test_an_items_page_size_spotify_refuses_steps_down_and_reads_everything(
    database: Database, spotify: FakeSpotify
) -> None:
    long = items(230)
    serve(spotify, [Playlist("long", long)])
    # 100 a page, as extended-quota apps may ask; 2026 answers 400 above 50.
    e = engine(database, spotify, page_size=100)
    outcome = e.sync()
    assert e.children(outcome.version, "long") == long
    assert spotify.last.pages("playlists/long/items") == [
        (100, 50),
        (100, 100),
        (150, 50),
        (200, 30),
    ]


def test_a_refused_items_page_size_is_learned_for_later_playlists_and_saves(
    database: Database, spotify: FakeSpotify
) -> None:
    long, longer = items(400), items(250)
    serve(spotify, [Playlist("long", long), Playlist("longer", longer)])
    e = engine(database, spotify, page_size=100)
    first = e.sync()
    assert e.children(first.version, "long") == long
    assert e.children(first.version, "longer") == longer
    # Pages planned at 100 before the first refusal went out at once: each was refused at
    # most once, and was then read 50 at a time.
    asked = spotify.last.pages("playlists/long/items") + spotify.last.pages(
        "playlists/longer/items"
    )
    refused = [page for page in asked if page[1] == 100]
    assert 1 <= len(refused) <= 5 and len(set(refused)) == len(refused)
    # The next save knows: 50 a page from the start, no refusal.
    again = e.sync(full=True)
    assert e.children(again.version, "long") == long
    assert spotify.last.pages("playlists/long/items") == [(o, 50) for o in range(100, 400, 50)]
    assert spotify.last.pages("playlists/longer/items") == [(o, 50) for o in range(100, 250, 50)]


def test_a_playlist_whose_items_are_withheld_is_saved_with_its_metadata(
    database: Database, spotify: FakeSpotify
) -> None:
    serve(spotify, [Playlist("mine", items(2)), Playlist("theirs", items(7), withheld=True)])
    e = engine(database, spotify)
    outcome = e.sync()
    assert outcome.count == 2
    theirs = e.item(outcome.version, "theirs")
    assert theirs["name"] == "Playlist theirs" and theirs["owner"]["id"] == "owner"
    assert theirs["items"] is None
    assert theirs["tapedeck"] == saved(0, withheld=True)
    assert [p["tapedeck"] for p in e.items(outcome.version)] == [saved(2), saved(0, True)]
    assert e.collection.list_children("alice", outcome.version, "theirs", 0, 50) == ([], 0)
    # `items: null` says it all: /items is not asked.
    assert spotify.last.paths() == {"me/playlists": 1, "playlists/mine": 1, "playlists/theirs": 1}


def test_a_playlist_whose_items_page_is_refused_is_saved_withheld(
    database: Database, spotify: FakeSpotify
) -> None:
    serve(spotify, [Playlist("odd", items(150), items_refused=True)])
    e = engine(database, spotify)
    outcome = e.sync()
    odd = e.item(outcome.version, "odd")
    assert odd["tapedeck"] == saved(0, withheld=True)
    assert odd["items"] == {"href": f"{API}/playlists/odd/items?offset=0&limit=100", "total": 150}
    assert e.collection.list_children("alice", outcome.version, "odd", 0, 50) == ([], 0)
    assert spotify.last.pages("playlists/odd/items") == [(100, 50)]
    assert e.staged() == 0


def test_an_unchanged_playlist_is_not_refetched(database: Database, spotify: FakeSpotify) -> None:
    playlists = [Playlist("p1", items(130)), Playlist("p2", items(3, start=500))]
    serve(spotify, playlists)
    e = engine(database, spotify)
    first = e.sync()
    second = e.sync(base=first.version)
    # Only /me/playlists: every snapshot_id is as before.
    assert spotify.last.paths() == {"me/playlists": 1}
    assert second.version == first.version
    assert e.children(second.version, "p1") == playlists[0].items
    assert e.item(second.version, "p1") == e.item(first.version, "p1")


def test_a_playlist_whose_snapshot_changed_is_refetched_alone(
    database: Database, spotify: FakeSpotify
) -> None:
    p1, p2 = Playlist("p1", items(130)), Playlist("p2", items(3, start=500))
    serve(spotify, [p1, p2])
    e = engine(database, spotify)
    first = e.sync()
    p2 = Playlist("p2", [*items(1, start=900), *p2.items[1:]], snapshot="s2")
    serve(spotify, [p1, p2])
    second = e.sync(base=first.version)
    assert spotify.last.paths() == {"me/playlists": 1, "playlists/p2": 1}
    assert second.version != first.version
    assert e.children(second.version, "p2") == p2.items
    assert e.children(second.version, "p1") == p1.items
    [changed] = e.collection.compare("alice", first.version, second.version).changed
    assert changed.item.id == "p2"
    assert [r.id for r in changed.added] == ["t900"]
    assert [r.id for r in changed.removed] == ["t500"]


def test_a_full_sync_refetches_every_playlist(database: Database, spotify: FakeSpotify) -> None:
    serve(spotify, [Playlist("p1", items(130)), Playlist("p2", items(3))])
    e = engine(database, spotify)
    first = e.sync()
    full = e.sync(base=first.version, full=True)
    assert spotify.last.paths() == {
        "me/playlists": 1,
        "playlists/p1": 1,
        "playlists/p1/items": 1,
        "playlists/p2": 1,
    }
    assert full.version == first.version


def test_an_unchanged_withheld_playlist_stays_withheld_without_a_request(
    database: Database, spotify: FakeSpotify
) -> None:
    serve(spotify, [Playlist("theirs", items(7), withheld=True)])
    e = engine(database, spotify)
    first = e.sync()
    second = e.sync(base=first.version)
    assert spotify.last.paths() == {"me/playlists": 1}
    assert e.item(second.version, "theirs")["tapedeck"] == saved(0, withheld=True)


def test_the_stored_full_object_has_its_items_page_replaced_by_a_summary(
    database: Database, spotify: FakeSpotify
) -> None:
    serve(spotify, [Playlist("p1", items(120))])
    e = engine(database, spotify)
    version = e.sync().version
    full = spotify.objects["playlists/p1"]
    # A single read shows the full object (followers and all), its items as href and total.
    assert e.item(version, "p1") == {
        **full,
        "items": {"href": f"{API}/playlists/p1/items?offset=0&limit=100", "total": 120},
        "tapedeck": saved(120),
    }
    # A page of playlists shows them as /me/playlists listed them.
    assert e.items(version) == [{**spotify.lists["me/playlists"][0], "tapedeck": saved(120)}]


def test_null_items_and_local_files_are_kept_in_place(
    database: Database, spotify: FakeSpotify
) -> None:
    local = {"id": None, "uri": "spotify:local:Artist:Album:Title:180", "name": "Title"}
    episode = {"id": "e1", "uri": "spotify:episode:e1", "name": "Épisode", "type": "episode"}
    odd = [item(track(1)), item(None), item(local, local=True), item(episode), item(track(1))]
    serve(spotify, [Playlist("odd", odd)])
    e = engine(database, spotify)
    version = e.sync().version
    assert e.children(version, "odd") == odd
    assert e.item(version, "odd")["tapedeck"] == saved(5)
    child = e.store.children("alice", version, "odd")
    assert child is not None
    refs = [entry.ref for entry in e.store.entries(child.id)]
    track_uri, episode_uri = "spotify:track:t1", "spotify:episode:e1"
    assert [r.key for r in refs] == [track_uri, "", local["uri"], episode_uri, track_uri]
