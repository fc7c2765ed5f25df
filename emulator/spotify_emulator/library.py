"""A user's library as data: playlists (items kept as compact index arrays), liked songs,
saved albums and followed artists."""

from __future__ import annotations

from array import array
from dataclasses import dataclass

# A playlist item is one int: index * 4 + kind.
TRACK, EPISODE, LOCAL, NULL = 0, 1, 2, 3

# Libraries are "as of" this moment; edits move a per-library clock forward from here.
NOW = 1_768_478_400  # 2026-01-15T12:00:00Z


def code(kind: int, index: int = 0) -> int:
    return index * 4 + kind


@dataclass
class Playlist:
    id: str
    name: str
    description: str
    owner: str
    collaborative: bool
    public: bool
    followers: int
    items: array  # item codes
    added_at: array  # epoch seconds
    added_by: array  # index into adders
    adders: list[str]
    version: int = 0

    def readable_by(self, user_id: str) -> bool:
        """Whether a development-mode app may read the items for this user (2026 rules)."""
        return self.owner == user_id or self.collaborative


@dataclass
class UserLibrary:
    user_id: str
    display_name: str
    playlists: list[Playlist]
    liked: array  # track indexes, newest first
    liked_at: array
    albums: array  # album indexes, newest first
    albums_at: array
    artists: list[int]  # followed artist indexes, in /me/following order (by id)
    followers: int
    clock: int = NOW
    edits: int = 0
    # Playlists this user created through the API (POST /me/playlists), for their ids.
    created: int = 0

    def playlist(self, playlist_id: str) -> Playlist | None:
        return next((p for p in self.playlists if p.id == playlist_id), None)
