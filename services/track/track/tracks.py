"""Liked Songs: /me/tracks, 50 a page, newest first; unchanged when its total and first page
are."""

from __future__ import annotations

from collection.entity import Entity
from collection.lists import OffsetList, sync_offset_list
from collection.model import StoredEntry, ref_of
from collection.settings import EntitySettings
from collection.sync import SyncRun, Write

PAGE = 50


class LikedSongs:
    kind = "tracks"

    def plan(self, run: SyncRun) -> list[Write]:
        listing = OffsetList("me/tracks", PAGE)
        return sync_offset_list(
            run,
            listing,
            lambda saved: ref_of(saved.get("track") if isinstance(saved, dict) else None),
            unchanged_when_first_page_is=True,
        )

    def present(self, entry: StoredEntry, body: str, detail: str | None) -> str:
        return body


def liked_songs(_settings: EntitySettings) -> Entity:
    return LikedSongs()
