"""Scripted playlist edits for tests and benchmarks of the history: rename, a new
description, any new list of items (reorder, duplicate, remove, add again), and unfollowing
a playlist. Each is a deterministic edit recorded like the others, so a state file replays
it; the snapshot_id changes with each, as Spotify's does."""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Any

from spotify_emulator.library import TRACK, Playlist, UserLibrary, code

if TYPE_CHECKING:
    from spotify_emulator.libraries import Libraries

EDITS = frozenset(["edit_playlist", "unfollow_playlist"])


def item_codes(libraries: Libraries, playlist: Playlist, items: list[int | str]) -> list[int]:
    """The new list as item codes: an int keeps the item at that current position (its
    `added_at` too, the first time it is named), a str adds that track URI now."""
    codes = []
    for item in items:
        if isinstance(item, int):
            if item < 0:
                raise IndexError(item)
            codes.append(playlist.items[item])
            continue
        index = libraries.catalog.track_index(str(item).removeprefix("spotify:track:"))
        if index is None:
            raise ValueError(f"not a track of the catalog: {item}")
        codes.append(code(TRACK, index))
    return codes


def edit(
    libraries: Libraries,
    library: UserLibrary,
    playlist: Playlist,
    name: str | None,
    description: str | None,
    codes: list[int] | None,
) -> None:
    """Applies an edit (the caller holds the lock and records it)."""
    if name is not None:
        playlist.name = name
    if description is not None:
        playlist.description = description
    if codes is not None:
        _set_items(libraries, library, playlist, codes)
    playlist.version += 1


def _set_items(
    libraries: Libraries, library: UserLibrary, playlist: Playlist, codes: list[int]
) -> None:
    # A copy that stays keeps its added_at and added_by; the others are added now, by the user.
    kept: dict[int, list[int]] = {}
    for position, item in enumerate(playlist.items):
        kept.setdefault(item, []).append(position)
    adder = library.user_id if library.user_id in playlist.adders else playlist.owner
    if adder not in playlist.adders:
        playlist.adders.append(adder)
    items, added_at, added_by = array("q"), array("q"), array("B")
    for item in codes:
        was = kept.get(item)
        items.append(item)
        if was:
            position = was.pop(0)
            added_at.append(playlist.added_at[position])
            added_by.append(playlist.added_by[position])
        else:
            added_at.append(libraries.tick(library))
            added_by.append(playlist.adders.index(adder))
    playlist.items = items
    playlist.added_at = added_at
    playlist.added_by = added_by


def unfollow(library: UserLibrary, playlist: Playlist) -> None:
    library.playlists = [p for p in library.playlists if p.id != playlist.id]


def replay(libraries: Libraries, library: UserLibrary, edit_: dict[str, Any]) -> None:
    """Applies a recorded edit again (the caller holds the lock and records it)."""
    playlist = libraries.playlist(str(edit_["playlist"]))
    if playlist is None:
        raise ValueError(f"an edit of an unknown playlist: {edit_['playlist']}")
    if edit_["edit"] == "unfollow_playlist":
        unfollow(library, playlist)
        return
    codes = edit_.get("items")
    edit(
        libraries,
        library,
        playlist,
        edit_.get("name"),
        edit_.get("description"),
        [int(c) for c in codes] if codes is not None else None,
    )
