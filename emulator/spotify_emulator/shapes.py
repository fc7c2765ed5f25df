"""The objects whose shape depends on the mode: users, playlists and playlist items.

2026 (development-mode apps): a playlist item's object is under `item`, playlists carry
`items`, /me has no email or country. Legacy (extended quota): `track` and `tracks`."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from spotify_emulator import ids
from spotify_emulator.config import Mode
from spotify_emulator.encoding import Fragment
from spotify_emulator.libraries import Libraries
from spotify_emulator.library import EPISODE, LOCAL, TRACK, Playlist, UserLibrary
from spotify_emulator.links import external
from spotify_emulator.objects import Objects
from spotify_emulator.paging import page

Json = dict[str, Any]

PLAYLIST_PAGE = 100  # the full playlist object carries its first 100 items
_COUNTRIES = ("SE", "DE", "GB", "US", "FR", "NL", "JP", "BR")


def items_key(mode: Mode) -> str:
    """Where a playlist keeps its items, and the route that pages them."""
    return "items" if mode == "2026" else "tracks"


def item_key(mode: Mode) -> str:
    return "item" if mode == "2026" else "track"


def items_max_limit(mode: Mode) -> int:
    return 50 if mode == "2026" else 100


class Shapes:
    def __init__(self, objects: Objects, libraries: Libraries) -> None:
        self.objects = objects
        self.libraries = libraries
        self.links = objects.links
        self.seed = libraries.seed
        self._user_refs = lru_cache(maxsize=1_000)(self._user_ref)

    # Users

    def user_ref(self, user_id: str) -> Json:
        return self._user_refs(user_id)

    def _user_ref(self, user_id: str) -> Json:
        return {
            "external_urls": external("user", user_id),
            "href": self.links.href("user", user_id),
            "id": user_id,
            "type": "user",
            "uri": f"spotify:user:{user_id}",
        }

    def owner(self, user_id: str) -> Json:
        return {"display_name": self.libraries.display_name(user_id), **self.user_ref(user_id)}

    def public_user(self, user_id: str) -> Json:
        return {
            "display_name": self.libraries.display_name(user_id),
            "external_urls": external("user", user_id),
            "followers": {"href": None, "total": ids.number(self.seed, "followers", user_id) % 500},
            "href": self.links.href("user", user_id),
            "id": user_id,
            "images": self._user_images(user_id),
            "type": "user",
            "uri": f"spotify:user:{user_id}",
        }

    def me(self, library: UserLibrary, mode: Mode) -> Json:
        user_id = library.user_id
        profile: Json = {
            "display_name": library.display_name,
            "external_urls": external("user", user_id),
            "followers": {"href": None, "total": library.followers},
            "href": self.links.href("user", user_id),
            "id": user_id,
            "images": self._user_images(user_id),
            "type": "user",
            "uri": f"spotify:user:{user_id}",
        }
        if mode == "legacy":
            profile |= {
                "country": _COUNTRIES[ids.number(self.seed, "country", user_id) % len(_COUNTRIES)],
                "email": f"{user_id}@users.tapedeck.invalid",
                "explicit_content": {"filter_enabled": False, "filter_locked": False},
                "product": "premium",
            }
        return dict(sorted(profile.items()))

    def _user_images(self, user_id: str) -> list[Json]:
        if ids.number(self.seed, "user-image", user_id) % 3 == 0:
            return []
        return self.links.images(ids.hex_key(self.seed, "user-image", user_id), (300, 64))

    # Playlist items

    def item(self, code: int, added_at: int, added_by: str, mode: Mode, raw: bool = False) -> Json:
        """A playlist item; with raw, the track or episode is pre-encoded JSON (HTTP only)."""
        kind, index = code % 4, code // 4
        obj: Json | Fragment | None
        if kind == TRACK:
            obj = self.objects.track_raw(index) if raw else self.objects.track(index)
        elif kind == EPISODE:
            obj = self.objects.episode_raw(index) if raw else self.objects.episode(index)
        elif kind == LOCAL:
            obj = self.objects.local_track(index)
        else:
            obj = None
        return {
            "added_at": ids.iso(added_at),
            "added_by": self.user_ref(added_by),
            "is_local": kind == LOCAL,
            item_key(mode): obj,
            "primary_color": None,
            "video_thumbnail": {"url": None},
        }

    def _slice(
        self, playlist: Playlist, start: int, stop: int
    ) -> tuple[list[tuple[int, int, str]], int, int]:
        """Items [start, stop) as (code, added_at, adder), the total and the version, read
        consistently."""
        with self.libraries.lock:
            adders = playlist.adders
            rows = [
                (c, t, adders[b])
                for c, t, b in zip(
                    playlist.items[start:stop],
                    playlist.added_at[start:stop],
                    playlist.added_by[start:stop],
                    strict=True,
                )
            ]
            return rows, len(playlist.items), playlist.version

    def items(
        self, playlist: Playlist, start: int, stop: int, mode: Mode, raw: bool = False
    ) -> tuple[list[Json], int]:
        """Items [start, stop) rendered, and the playlist's total."""
        rows, total, _ = self._slice(playlist, start, stop)
        return [self.item(c, t, a, mode, raw) for c, t, a in rows], total

    # Playlists

    def _playlist_common(self, playlist: Playlist, total: int, version: int) -> Json:
        return {
            "collaborative": playlist.collaborative,
            "description": playlist.description,
            "external_urls": external("playlist", playlist.id),
            "href": self.links.href("playlist", playlist.id),
            "id": playlist.id,
            "images": self.links.images(
                ids.hex_key(self.seed, "mosaic", playlist.id, version), (640, 300, 60)
            )
            if total
            else [],
            "name": playlist.name,
            "owner": self.owner(playlist.owner),
            "primary_color": None,
            "public": playlist.public,
            "snapshot_id": ids.snapshot_id(self.seed, playlist.id, version),
            "type": "playlist",
            "uri": f"spotify:playlist:{playlist.id}",
        }

    def simplified_playlist(self, playlist: Playlist, mode: Mode) -> Json:
        with self.libraries.lock:
            total, version = len(playlist.items), playlist.version
        ref = {
            "href": f"{self.links.api}/playlists/{playlist.id}/{items_key(mode)}",
            "total": total,
        }
        return dict(
            sorted(
                (self._playlist_common(playlist, total, version) | {items_key(mode): ref}).items()
            )
        )

    def playlist(self, playlist: Playlist, user_id: str, mode: Mode, raw: bool = False) -> Json:
        rows, total, version = self._slice(playlist, 0, PLAYLIST_PAGE)
        first = [self.item(c, t, a, mode, raw) for c, t, a in rows]
        nested: Json | None = None
        if not self.withheld(playlist, user_id, mode):
            nested = page(
                self.links,
                f"/playlists/{playlist.id}/{items_key(mode)}",
                first,
                0,
                PLAYLIST_PAGE,
                total,
                next_limit=items_max_limit(mode),
            )
        body = self._playlist_common(playlist, total, version) | {
            "followers": {"href": None, "total": playlist.followers},
            items_key(mode): nested,
        }
        return dict(sorted(body.items()))

    @staticmethod
    def withheld(playlist: Playlist, user_id: str, mode: Mode) -> bool:
        return mode == "2026" and not playlist.readable_by(user_id)

    # Library lists

    def saved_track(self, track: int, added_at: int, raw: bool = False) -> Json:
        obj = self.objects.track_raw(track) if raw else self.objects.track(track)
        return {"added_at": ids.iso(added_at), "track": obj}

    def saved_album(self, album: int, added_at: int, raw: bool = False) -> Json:
        obj = self.objects.album_raw(album) if raw else self.objects.album(album)
        return {"added_at": ids.iso(added_at), "album": obj}
