"""The album service's plan (album.albums: saved albums) on the engine over the in-memory
Spotify: an album longer than the 50 tracks its object carries gets its whole track list from
/albums/{id}/tracks as its child listing, once; shorter ones need no call."""

from __future__ import annotations

from album.albums import SavedAlbums
from collection.testing import Engine, FakeSpotify, Json, paging
from kit.database import Database

# Tracks a saved album's object carries; /albums/{id}/tracks pages 50 too.
NESTED = 50


def tracks(album_id: str, n: int) -> list[Json]:
    return [
        {"id": f"{album_id}-t{i}", "uri": f"spotify:track:{album_id}-t{i}", "track_number": i + 1}
        for i in range(n)
    ]


def saved(album_id: str, n: int, popularity: int = 10) -> Json:
    """A saved album as /me/albums lists it: the album carrying its first 50 tracks."""
    path = f"albums/{album_id}/tracks"
    album = {
        "id": album_id,
        "uri": f"spotify:album:{album_id}",
        "name": f"Album {album_id}",
        "type": "album",
        "popularity": popularity,
        "total_tracks": n,
        "tracks": paging(path, tracks(album_id, n)[:NESTED], 0, NESTED, n),
    }
    return {"added_at": "2025-01-02T03:04:05Z", "album": album}


def serve(spotify: FakeSpotify, albums: list[Json]) -> None:
    spotify.offset_list("me/albums", albums)
    for entry in albums:
        album = entry["album"]
        spotify.offset_list(
            f"albums/{album['id']}/tracks", tracks(album["id"], album["total_tracks"])
        )


def test_albums_of_50_tracks_or_fewer_make_no_extra_call(
    database: Database, spotify: FakeSpotify
) -> None:
    albums = [saved("fifty", 50), saved("short", 9)]
    serve(spotify, albums)
    engine = Engine(SavedAlbums(), database, spotify)
    outcome = engine.sync()
    assert spotify.last.paths() == {"me/albums": 1}
    # Stored as Spotify sent them, every track inside.
    assert engine.items(outcome.version) == albums
    assert engine.item(outcome.version, "fifty")["album"]["tracks"]["items"] == tracks("fifty", 50)


def test_an_album_with_more_than_50_tracks_gets_every_track_as_its_child_listing(
    database: Database, spotify: FakeSpotify
) -> None:
    albums = [saved("short", 9), saved("long", 120)]
    serve(spotify, albums)
    engine = Engine(SavedAlbums(), database, spotify)
    outcome = engine.sync()
    assert engine.items(outcome.version) == albums
    assert engine.children(outcome.version, "long") == tracks("long", 120)
    assert engine.children_total(outcome.version, "long") == 120
    assert spotify.last.pages("albums/long/tracks") == [(50, 50), (100, 20)]
    assert spotify.last.paths() == {"me/albums": 1, "albums/long/tracks": 2}


def test_an_unchanged_album_reuses_its_child_listing(
    database: Database, spotify: FakeSpotify
) -> None:
    albums = [saved("short", 9), saved("long", 120)]
    serve(spotify, albums)
    engine = Engine(SavedAlbums(), database, spotify)
    first = engine.sync()
    # A new album first: the list is read again, the long album's tracks are not.
    serve(spotify, [saved("new", 3), *albums])
    second = engine.sync(base=first.version)
    assert second.version != first.version
    assert spotify.last.paths() == {"me/albums": 1}
    assert engine.children(second.version, "long") == tracks("long", 120)
    assert engine.store.children("alice", second.version, "long") == engine.store.children(
        "alice", first.version, "long"
    )
    comparison = engine.collection.compare("alice", first.version, second.version)
    assert [r.id for r in comparison.added] == ["new"] and comparison.changed == []


def test_an_album_whose_object_changed_reads_its_tracks_again(
    database: Database, spotify: FakeSpotify
) -> None:
    serve(spotify, [saved("long", 120)])
    engine = Engine(SavedAlbums(), database, spotify)
    first = engine.sync()
    serve(spotify, [saved("long", 120, popularity=11)])
    second = engine.sync(base=first.version)
    assert spotify.last.paths() == {"me/albums": 1, "albums/long/tracks": 2}
    assert engine.children(second.version, "long") == tracks("long", 120)


def test_unchanged_saved_albums_reuse_the_version_after_one_request(
    database: Database, spotify: FakeSpotify
) -> None:
    serve(spotify, [saved("long", 51), *(saved(f"a{n}", 2) for n in range(51))])
    engine = Engine(SavedAlbums(), database, spotify)
    first = engine.sync()
    # Two pages of albums, and the long album's 51st track.
    assert first.spotify_requests == 2 + 1
    again = engine.sync(base=first.version)
    assert (again.version, again.spotify_requests) == (first.version, 1)


def test_a_full_sync_reads_every_long_album_s_tracks_again(
    database: Database, spotify: FakeSpotify
) -> None:
    serve(spotify, [saved("short", 9), saved("long", 120)])
    engine = Engine(SavedAlbums(), database, spotify)
    first = engine.sync()
    full = engine.sync(base=first.version, full=True)
    assert spotify.last.paths() == {"me/albums": 1, "albums/long/tracks": 2}
    assert full.version == first.version
