"""The lists a user reads (playlists, liked songs, saved albums, album tracks, followed
artists), sliced the same way for HTTP pages and the Python API."""

from __future__ import annotations

from typing import Any

from spotify_emulator import ids
from spotify_emulator.library import UserLibrary
from spotify_emulator.state import State

Json = dict[str, Any]


def my_playlists(
    state: State, library: UserLibrary, start: int, stop: int | None
) -> tuple[list[Json], int]:
    with state.libraries.lock:
        playlists = library.playlists[start:stop]
        total = len(library.playlists)
    mode = state.mode
    return [state.shapes.simplified_playlist(p, mode) for p in playlists], total


def liked(
    state: State, library: UserLibrary, start: int, stop: int | None, raw: bool = False
) -> tuple[list[Json], int]:
    with state.libraries.lock:
        rows = list(zip(library.liked[start:stop], library.liked_at[start:stop], strict=True))
        total = len(library.liked)
    return [state.shapes.saved_track(t, at, raw) for t, at in rows], total


def saved_albums(
    state: State, library: UserLibrary, start: int, stop: int | None, raw: bool = False
) -> tuple[list[Json], int]:
    with state.libraries.lock:
        rows = list(zip(library.albums[start:stop], library.albums_at[start:stop], strict=True))
        total = len(library.albums)
    return [state.shapes.saved_album(a, at, raw) for a, at in rows], total


def album_tracks(
    state: State, album: int, start: int, stop: int | None, raw: bool = False
) -> tuple[list[Any], int]:
    found = state.catalog.album(album)
    end = found.total_tracks if stop is None else min(stop, found.total_tracks)
    render = state.objects.track_simple_raw if raw else state.objects.track_simple
    return [render(found.first_track + i) for i in range(start, end)], found.total_tracks


def followed(
    state: State, library: UserLibrary, after: str | None, limit: int | None, raw: bool = False
) -> tuple[list[Any], list[str], int, bool]:
    """Artists after the `after` id (ids ascending), their ids, the total, and whether more
    follow."""
    seed = state.catalog.seed
    with state.libraries.lock:
        artists = list(library.artists)
    keyed = [(ids.entity_id(seed, "artist", a), a) for a in artists]
    if after is not None:
        keyed = [(k, a) for k, a in keyed if k > after]
    shown = keyed if limit is None else keyed[:limit]
    render = state.objects.artist_raw if raw else state.objects.artist
    return (
        [render(a) for _, a in shown],
        [k for k, _ in shown],
        len(artists),
        len(shown) < len(keyed),
    )
