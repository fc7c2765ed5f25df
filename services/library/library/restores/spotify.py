"""The Spotify calls a restore makes, on kit's client: reads of what the account holds now
and the 2026 write endpoints (docs/design.md, "Spotify as it is")."""

from __future__ import annotations

from typing import Any

from kit.spotify.client import SpotifyClient

# Spotify's limits per call.
ITEMS_PER_WRITE = 100
LIBRARY_PER_WRITE = 40
TIMESTAMPED_PER_WRITE = 50  # the older PUT /me/tracks (library.restores.liked)
_ITEMS_PAGE = 50  # /playlists/{id}/items answers at most 50 at once in 2026
_PAGE = 50


class SpotifyAccount:
    """One user's account, for one restore."""

    def __init__(self, client: SpotifyClient) -> None:
        self.client = client
        self._user_id: str | None = None

    @property
    def user_id(self) -> str:
        """The account's Spotify user id (asked once): who owns a playlist is told by it."""
        if self._user_id is None:
            self._user_id = str(self.client.get("me")["id"])
        return self._user_id

    @property
    def requests(self) -> int:
        return self.client.requests

    def playlist(self, playlist_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.client.get(
            f"playlists/{playlist_id}", {"fields": "id,name,owner.id,collaborative"}
        )
        return answer

    def playlist_uris(self, playlist_id: str) -> list[str | None]:
        """The playlist's items now, as URIs (None for an item without one), in order."""
        found: list[str | None] = []
        offset = 0
        while True:
            page = self.client.get(
                f"playlists/{playlist_id}/items",
                {
                    "offset": offset,
                    "limit": _ITEMS_PAGE,
                    "fields": "total,items(is_local,item(uri),track(uri))",
                },
            )
            for item in page.get("items") or []:
                obj = item.get("item") or item.get("track")
                found.append(obj.get("uri") if isinstance(obj, dict) else None)
            offset += _ITEMS_PAGE
            if offset >= int(page.get("total") or 0):
                return found

    def my_playlists(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self.client.get("me/playlists", {"offset": offset, "limit": _PAGE})
            found += page.get("items") or []
            offset += _PAGE
            if offset >= int(page.get("total") or 0):
                return found

    def saved(self, kind: str) -> list[str]:
        """The URIs of Liked Songs ("tracks") or saved albums ("albums"), newest first."""
        key = kind.removesuffix("s")
        found: list[str] = []
        offset = 0
        while True:
            page = self.client.get(f"me/{kind}", {"offset": offset, "limit": _PAGE})
            for entry in page.get("items") or []:
                obj = entry.get(key)
                if isinstance(obj, dict) and obj.get("uri"):
                    found.append(str(obj["uri"]))
            offset += _PAGE
            if offset >= int(page.get("total") or 0):
                return found

    def create_playlist(self, name: str, description: str) -> str:
        made = self.client.send(
            "POST",
            "me/playlists",
            body={"name": name, "description": description, "public": False},
            idempotent=False,
        )
        return str(made["id"])

    def add(self, playlist_id: str, position: int, uris: list[str]) -> None:
        self.client.send(
            "POST",
            f"playlists/{playlist_id}/items",
            body={"uris": uris, "position": position},
            idempotent=False,
        )

    def remove(self, playlist_id: str, uris: list[str]) -> None:
        # Removing again what is already gone changes nothing: safe to retry.
        self.client.send(
            "DELETE", f"playlists/{playlist_id}/items", body={"items": [{"uri": u} for u in uris]}
        )

    def save_to_library(self, uris: list[str]) -> None:
        self.client.send("PUT", "me/library", {"uris": ",".join(uris)})

    def save_tracks_dated(self, dated: list[tuple[str, str]]) -> None:
        """Likes tracks (URI, added_at) at those times: the older PUT /me/tracks, which
        only extended-quota apps still have. Saving again what is saved changes nothing:
        safe to retry."""
        body = {
            "timestamped_ids": [{"id": uri.rsplit(":", 1)[-1], "added_at": at} for uri, at in dated]
        }
        self.client.send("PUT", "me/tracks", body=body)
