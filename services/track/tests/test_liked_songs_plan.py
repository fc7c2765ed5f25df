"""The track service's plan (track.tracks: Liked Songs) on the engine over the in-memory
Spotify: read newest first in pages of 50, and an unchanged list (same total, same first
page) kept as the version before after one request."""

from __future__ import annotations

from collection.testing import Engine, FakeSpotify, Json
from kit.database import Database
from track.tracks import LikedSongs


def saved(n: int, added_at: str = "2025-01-02T03:04:05Z") -> Json:
    """A saved track as /me/tracks lists it."""
    track = {"id": f"t{n}", "uri": f"spotify:track:t{n}", "name": f"Track {n}", "type": "track"}
    return {"added_at": added_at, "track": track}


def test_liked_songs_are_saved_newest_first_as_spotify_sent_them(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [saved(n) for n in range(120)]
    spotify.offset_list("me/tracks", songs)
    engine = Engine(LikedSongs(), database, spotify)
    outcome = engine.sync()
    assert engine.items(outcome.version) == songs
    assert engine.item(outcome.version, "t42") == songs[42]
    assert spotify.last.pages("me/tracks") == [(0, 50), (50, 50), (100, 20)]
    assert outcome.spotify_requests == 3


def test_unchanged_liked_songs_reuse_the_version_after_one_request(
    database: Database, spotify: FakeSpotify
) -> None:
    spotify.offset_list("me/tracks", [saved(n) for n in range(120)])
    engine = Engine(LikedSongs(), database, spotify)
    first = engine.sync()
    again = engine.sync(base=first.version)
    assert (again.version, again.count) == (first.version, 120)
    assert again.spotify_requests == 1
    assert spotify.last.pages("me/tracks") == [(0, 50)]


def test_a_song_liked_since_is_first_and_the_list_is_read_in_full(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [saved(n) for n in range(120)]
    spotify.offset_list("me/tracks", songs)
    engine = Engine(LikedSongs(), database, spotify)
    first = engine.sync()
    spotify.offset_list("me/tracks", [saved(500, "2025-06-01T00:00:00Z"), *songs])
    second = engine.sync(base=first.version)
    assert second.version != first.version
    assert spotify.last.pages("me/tracks") == [(0, 50), (50, 50), (100, 21)]
    assert engine.items(second.version)[0]["track"]["id"] == "t500"
    comparison = engine.collection.compare("alice", first.version, second.version)
    assert [r.id for r in comparison.added] == ["t500"] and comparison.removed == []


def test_a_song_liked_again_moves_first_and_is_seen(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [saved(n) for n in range(60)]
    spotify.offset_list("me/tracks", songs)
    engine = Engine(LikedSongs(), database, spotify)
    first = engine.sync()
    # Same total; the first page differs: a new added_at, first.
    moved = [saved(59, "2025-06-01T00:00:00Z"), *songs[:59]]
    spotify.offset_list("me/tracks", moved)
    second = engine.sync(base=first.version)
    assert second.spotify_requests == 2
    assert engine.items(second.version) == moved
    comparison = engine.collection.compare("alice", first.version, second.version)
    assert (comparison.added, comparison.removed) == ([], [])


def test_a_full_sync_reads_unchanged_liked_songs_again(
    database: Database, spotify: FakeSpotify
) -> None:
    spotify.offset_list("me/tracks", [saved(n) for n in range(120)])
    engine = Engine(LikedSongs(), database, spotify)
    first = engine.sync()
    full = engine.sync(base=first.version, full=True)
    assert (full.version, full.spotify_requests) == (first.version, 3)


def test_no_liked_songs_is_an_empty_version(database: Database, spotify: FakeSpotify) -> None:
    spotify.offset_list("me/tracks", [])
    engine = Engine(LikedSongs(), database, spotify)
    outcome = engine.sync()
    assert (outcome.count, outcome.spotify_requests) == (0, 1)
    assert engine.collection.list_items("alice", outcome.version, 0, 50) == ([], 0)
    assert engine.sync(base=outcome.version).version == outcome.version
