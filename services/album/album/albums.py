"""Saved albums: /me/albums, 50 a page, newest first (unchanged when its total and first
page are), and every track of an album with more than the 50 its nested page carries, from
/albums/{id}/tracks. A saved album is stored as Spotify returned it; the whole track list
is the album's child listing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from collection.entity import Entity
from collection.lists import OffsetList, child_list, sync_offset_list
from collection.model import Entry, StoredEntry, digest, json_text, ref_of
from collection.settings import EntitySettings
from collection.sync import SyncRun, Write, items_of

PAGE = 50


def _album(saved: Any) -> Any:
    return saved.get("album") if isinstance(saved, dict) else None


def _tracks(album_id: str) -> OffsetList:
    return OffsetList(f"albums/{album_id}/tracks", PAGE)


def _children(run: SyncRun, entry: Entry) -> list[Write] | None:
    album = _album(entry.obj)
    nested = album.get("tracks") if isinstance(album, dict) else None
    items, total = items_of(nested)
    if not entry.ref.id or total <= len(items):
        return None
    base = run.base_entry(entry.ref.id)
    if (
        not run.full
        and base is not None
        and base.children is not None
        and base.object_digest == digest(json_text(entry.obj))
    ):
        return [(run.top, [replace(entry, children=base.children)])]
    return child_list(run, entry, nested, _tracks(entry.ref.id), ref_of)


class SavedAlbums:
    kind = "albums"

    def plan(self, run: SyncRun) -> list[Write]:
        listing = OffsetList("me/albums", PAGE)
        return sync_offset_list(
            run,
            listing,
            lambda saved: ref_of(_album(saved)),
            unchanged_when_first_page_is=True,
            children=_children,
        )

    def present(self, entry: StoredEntry, body: str, detail: str | None) -> str:
        return body


def saved_albums(_settings: EntitySettings) -> Entity:
    return SavedAlbums()
