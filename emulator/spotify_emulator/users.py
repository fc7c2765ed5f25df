"""The Python API's view of one user: the truth tests compare what Tapedeck saved against,
rendered by the same code the HTTP routes use, in the current mode."""

from __future__ import annotations

from typing import Any

from spotify_emulator import ids, lists
from spotify_emulator.library import Playlist, UserLibrary
from spotify_emulator.state import State

Json = dict[str, Any]


class User:
    def __init__(self, state: State, library: UserLibrary) -> None:
        self._state = state
        self._library = library

    @property
    def id(self) -> str:
        return self._library.user_id

    def __repr__(self) -> str:
        return f"User({self.id!r})"

    def profile(self) -> Json:
        """What GET /v1/me answers for this user."""
        return self._state.shapes.me(self._library, self._state.mode)

    def playlists_simplified(self) -> list[Json]:
        return lists.my_playlists(self._state, self._library, 0, None)[0]

    def playlist_ids(self) -> list[str]:
        with self._state.libraries.lock:
            return [p.id for p in self._library.playlists]

    def playlist(self, playlist_id: str) -> Json:
        return self._state.shapes.playlist(self._find(playlist_id), self.id, self._state.mode)

    def playlist_items(self, playlist_id: str) -> list[Json]:
        found = self._find(playlist_id)
        if self.items_withheld(playlist_id):
            return []
        return self._state.shapes.items(found, 0, len(found.items), self._state.mode)[0]

    def items_withheld(self, playlist_id: str) -> bool:
        return self._state.shapes.withheld(self._find(playlist_id), self.id, self._state.mode)

    def saved_tracks(self) -> list[Json]:
        return lists.liked(self._state, self._library, 0, None)[0]

    def saved_albums(self) -> list[Json]:
        return lists.saved_albums(self._state, self._library, 0, None)[0]

    def album_tracks(self, album_id: str) -> list[Json]:
        index = self._state.catalog.album_index(album_id)
        if index is None:
            raise KeyError(album_id)
        return lists.album_tracks(self._state, index, 0, None)[0]

    def followed_artists(self) -> list[Json]:
        return lists.followed(self._state, self._library, None, None)[0]

    # Deterministic edits; each returns what changed.

    def change_playlist(self, playlist_id: str, add: int = 2, remove: int = 1) -> str:
        """Removes `remove` items and appends `add` tracks; returns the new snapshot_id (the
        same one when nothing changed)."""
        return self._state.libraries.change_playlist(
            self._library, self._find(playlist_id), add, remove
        )

    def edit_playlist(
        self,
        playlist_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        items: list[int | str] | None = None,
    ) -> str:
        """Renames and/or describes the playlist, and/or gives it new items: each an int
        (the item now at that position stays, with its added_at, the first time it is named)
        or a track URI (added now). Returns the new snapshot_id."""
        return self._state.libraries.edit_playlist(
            self._library, self._find(playlist_id), name, description, items
        )

    def unfollow_playlist(self, playlist_id: str) -> None:
        """The user no longer follows (or, their own, deleted) the playlist."""
        self._state.libraries.unfollow_playlist(self._library, self._find(playlist_id))

    def like_tracks(self, n: int) -> list[str]:
        return self._ids("track", self._state.libraries.like_tracks(self._library, n))

    def unlike_tracks(self, n: int) -> list[str]:
        return self._ids("track", self._state.libraries.unlike_tracks(self._library, n))

    def save_albums(self, n: int) -> list[str]:
        return self._ids("album", self._state.libraries.save_albums(self._library, n))

    def remove_albums(self, n: int) -> list[str]:
        return self._ids("album", self._state.libraries.remove_albums(self._library, n))

    def follow_artists(self, n: int) -> list[str]:
        return self._ids("artist", self._state.libraries.follow_artists(self._library, n))

    def unfollow_artists(self, n: int) -> list[str]:
        return self._ids("artist", self._state.libraries.unfollow_artists(self._library, n))

    def summary(self) -> dict[str, int]:
        """How many of each thing the library holds."""
        lib = self._library
        with self._state.libraries.lock:
            return {
                "playlists": len(lib.playlists),
                "playlist_items": sum(len(p.items) for p in lib.playlists),
                "liked": len(lib.liked),
                "albums": len(lib.albums),
                "artists": len(lib.artists),
            }

    def _find(self, playlist_id: str) -> Playlist:
        found = self._state.libraries.playlist(playlist_id)
        if found is None:
            raise KeyError(playlist_id)
        return found

    def _ids(self, kind: str, indexes: list[int]) -> list[str]:
        return [ids.entity_id(self._state.catalog.seed, kind, i) for i in indexes]
