"""Playlists: /me/playlists (50 a page, read whole every save), then for each playlist whose
snapshot_id changed since the base version its full object (/playlists/{id}, which carries
the first page of items) and the rest of its items from /playlists/{id}/items, concurrently.

A playlist whose items Spotify withholds (2026 rule for development-mode apps: only
playlists the user owns or collaborates on; the full object then has `items: null`, and
/items answers 403) is kept with its metadata and marked withheld. The full object is stored
with its nested items page replaced by the page's summary (href and total): the items are
the playlist's child listing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from collection.entity import Entity, add_key
from collection.lists import OffsetList, PageSize, child_list, refused, sync_offset_list
from collection.model import Entry, Json, Ref, StoredEntry, ref_of, text_of
from collection.settings import EntitySettings
from collection.sync import SyncRun, Write
from kit.spotify.client import SpotifyRefused

PAGE = 50
# Episodes too: without them Spotify answers null for every episode in a playlist.
TYPES = "track,episode"
# Where each shape keeps a playlist's items: 2026 `items`, the older `tracks`.
ITEMS_KEYS = ("items", "tracks")


def item_ref(item: Any) -> Ref:
    """A playlist item's reference: its object's, under `item` (2026) or `track`."""
    if not isinstance(item, dict):
        return Ref()
    return ref_of(item.get("item") or item.get("track"))


def _nested(playlist: Json) -> tuple[str, Any]:
    for key in ITEMS_KEYS:
        if key in playlist:
            return key, playlist[key]
    return ITEMS_KEYS[0], None


def _summary(page: Any) -> Any:
    if not isinstance(page, dict):
        return None
    return {"href": page.get("href"), "total": page.get("total")}


class Playlists:
    kind = "playlists"

    def __init__(self, items_page_size: int) -> None:
        # One for every playlist's items: a size Spotify refuses is learned once.
        self._items_page_size = PageSize(items_page_size)

    def plan(self, run: SyncRun) -> list[Write]:
        listing = OffsetList("me/playlists", PAGE)
        return sync_offset_list(
            run,
            listing,
            ref_of,
            unchanged_when_first_page_is=False,
            children=self._playlist,
        )

    def _playlist(self, run: SyncRun, entry: Entry) -> list[Write] | None:
        snapshot = text_of(entry.obj.get("snapshot_id")) if isinstance(entry.obj, dict) else ""
        entry = Entry(entry.position, entry.obj, entry.ref, tag=snapshot or None)
        if not entry.ref.id:
            return [(run.top, [entry])]
        base = run.base_entry(entry.ref.id)
        if not run.full and base is not None and snapshot and base.tag == snapshot:
            return [
                (
                    run.top,
                    [
                        Entry(
                            entry.position,
                            entry.obj,
                            entry.ref,
                            tag=entry.tag,
                            detail_digest=base.detail_digest,
                            children=base.children,
                            withheld=base.withheld,
                        )
                    ],
                )
            ]
        run.submit(lambda: self._fetch(run, entry))
        return []

    def _fetch(self, run: SyncRun, entry: Entry) -> list[Write]:
        playlist_id = entry.ref.id
        what = f"playlists/{playlist_id}"
        try:
            full = run.client.get(what, {"additional_types": TYPES})
        except SpotifyRefused as exc:
            raise refused(what, exc) from None
        key, nested = _nested(full)
        detail = {**full, key: _summary(nested)}
        parent = Entry(entry.position, entry.obj, entry.ref, tag=entry.tag, detail=detail)
        if nested is None:
            return [(run.top, [replace(parent, withheld=True)])]
        items = OffsetList(f"{what}/items", self._items_page_size, {"additional_types": TYPES})
        return child_list(run, parent, nested, items, item_ref, withheld_on_403=True)

    def present(self, entry: StoredEntry, body: str, detail: str | None) -> str:
        return add_key(
            detail or body,
            "tapedeck",
            {"items_saved": entry.children_count, "items_withheld": entry.withheld},
        )


def playlists(settings: EntitySettings) -> Entity:
    return Playlists(settings.spotify_playlist_items_page_size)
