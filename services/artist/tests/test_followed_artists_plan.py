"""The artist service's plan (artist.artists: followed artists) on the engine over the
in-memory Spotify: /me/following is cursor-paged, so one page after another, and read whole
every save."""

from __future__ import annotations

from artist.artists import FollowedArtists
from collection.model import Progress
from collection.testing import Engine, FakeSpotify, Json
from kit.database import Database


def artist(n: int) -> Json:
    return {
        "id": f"a{n:03}",
        "uri": f"spotify:artist:a{n:03}",
        "name": f"Artist {n}",
        "type": "artist",
        "genres": ["indie"],
        "followers": {"href": None, "total": n},
    }


def test_followed_artists_are_read_page_after_page_by_cursor(
    database: Database, spotify: FakeSpotify
) -> None:
    artists = [artist(n) for n in range(120)]
    spotify.cursor_list("me/following", "artists", artists)
    engine = Engine(FollowedArtists(), database, spotify)
    outcome = engine.sync()
    assert engine.items(outcome.version) == artists
    assert engine.item(outcome.version, "a077") == artists[77]
    assert [params for _, params in spotify.last.calls] == [
        {"type": "artist", "limit": 50},
        {"type": "artist", "limit": 50, "after": "a049"},
        {"type": "artist", "limit": 50, "after": "a099"},
    ]
    assert (outcome.count, outcome.spotify_requests) == (120, 3)
    # The total is known from the first page on.
    assert all(p.total == 120 for p in engine.progress if p.done)
    assert engine.progress[-1] == Progress(done=120, total=120, spotify_requests=3)


def test_every_save_reads_all_followed_artists_and_keeps_an_unchanged_version(
    database: Database, spotify: FakeSpotify
) -> None:
    artists = [artist(n) for n in range(120)]
    spotify.cursor_list("me/following", "artists", artists)
    engine = Engine(FollowedArtists(), database, spotify)
    first = engine.sync()
    again = engine.sync(base=first.version)
    assert (again.version, again.spotify_requests) == (first.version, 3)
    spotify.cursor_list("me/following", "artists", artists[:-1])
    fewer = engine.sync(base=first.version)
    assert fewer.version != first.version
    comparison = engine.collection.compare("alice", first.version, fewer.version)
    assert [r.id for r in comparison.removed] == ["a119"]


def test_a_single_page_of_followed_artists_takes_one_request(
    database: Database, spotify: FakeSpotify
) -> None:
    spotify.cursor_list("me/following", "artists", [artist(n) for n in range(50)])
    engine = Engine(FollowedArtists(), database, spotify)
    assert (engine.sync().count, spotify.last.requests) == (50, 1)
    spotify.cursor_list("me/following", "artists", [])
    assert (engine.sync().count, spotify.last.requests) == (0, 1)
