"""Reads a restore's source out of a save, through the library's own reads (which ask the
entity services for the stored objects). No Spotify request."""

from __future__ import annotations

import json
from collections.abc import Iterator

from kit import errors
from library.reads import Reads
from library.restores.model import Selection
from library.restores.sources import (
    Source,
    Unrestorable,
    artist_uri,
    saved_added_at,
    saved_uri,
    source_playlist,
)

_PAGE = 100


def _all(reads: Reads, user_id: str, kind: str, save_id: str) -> Iterator[tuple[str, str]]:
    """(save id, item JSON) of every item of `kind` in the save (or the newest)."""
    offset = 0
    while True:
        page = reads.list_items(user_id, kind, save_id, offset, _PAGE)
        for item in page.items_json:
            yield page.save_id, item
        offset += _PAGE
        if offset >= page.total:
            return


def _playlist_items(reads: Reads, user_id: str, save_id: str, playlist_id: str) -> list[str]:
    found: list[str] = []
    offset = 0
    while True:
        page = reads.list_playlist_items(user_id, save_id, playlist_id, offset, _PAGE)
        found += page.items_json
        offset += _PAGE
        if offset >= page.total:
            return found


def load_save(reads: Reads, user_id: str, save_id: str, selection: Selection) -> Source:
    """The selected parts of the save `save_id` (each kind's newest save when empty).
    NotFound for a save that is not the user's, or a playlist the save does not hold."""
    source = Source(save_id=save_id)
    if selection.all_playlists or selection.playlists:
        wanted = set(selection.playlists)
        chosen: list[tuple[str, str]] = []
        for used, raw in _all(reads, user_id, "playlists", save_id):
            source.save_id = source.save_id or used
            playlist_id = str(json.loads(raw)["id"])
            if selection.all_playlists or playlist_id in wanted:
                chosen.append((playlist_id, raw))
        missing = wanted - {pid for pid, _ in chosen}
        if missing and not selection.all_playlists:
            raise errors.NotFound(f"no such playlist in that save: {sorted(missing)[0]}")
        for playlist_id, raw in chosen:
            items = _playlist_items(reads, user_id, source.save_id, playlist_id)
            source.playlists.append(source_playlist(raw, items))
    if selection.liked:
        for used, raw in _all(reads, user_id, "tracks", save_id):
            source.save_id = source.save_id or used
            uri = saved_uri(raw, "track")
            if uri is None:
                source.liked_not_restorable.append(Unrestorable(None, "local_file"))
            else:
                source.liked.append(uri)
                added_at = saved_added_at(raw)
                if added_at is not None:
                    source.liked_added_at[uri] = added_at
    if selection.albums:
        for used, raw in _all(reads, user_id, "albums", save_id):
            source.save_id = source.save_id or used
            uri = saved_uri(raw, "album")
            if uri is not None:
                source.albums.append(uri)
    if selection.artists:
        for used, raw in _all(reads, user_id, "artists", save_id):
            source.save_id = source.save_id or used
            uri = artist_uri(raw)
            if uri is not None:
                source.artists.append(uri)
    return source
