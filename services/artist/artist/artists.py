"""Followed artists: /me/following?type=artist, 50 a page, cursor-paged (so one page after
another). Its order is not by recency, so no first-page shortcut: every save reads it all."""

from __future__ import annotations

from collection.entity import Entity
from collection.lists import sync_cursor_list
from collection.model import StoredEntry, ref_of
from collection.settings import EntitySettings
from collection.sync import SyncRun, Write

PAGE = 50


class FollowedArtists:
    kind = "artists"

    def plan(self, run: SyncRun) -> list[Write]:
        return sync_cursor_list(
            run, "me/following", {"type": "artist", "limit": PAGE}, "artists", ref_of
        )

    def present(self, entry: StoredEntry, body: str, detail: str | None) -> str:
        return body


def followed_artists(_settings: EntitySettings) -> Entity:
    return FollowedArtists()
