"""What a restore restores from, read out of a save (or an import): the playlists with their
items' URIs in order, Liked Songs, saved albums, followed artists; and what of it cannot be
written back. Pure: the stored objects come in as JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# Reasons an item cannot be restored (docs/api.md, the plan's not_restorable).
LOCAL_FILE = "local_file"
UNAVAILABLE = "unavailable"
WITHHELD = "withheld"
FOLLOW_UNSUPPORTED = "follow_unsupported"


@dataclass(frozen=True)
class Unrestorable:
    uri: str | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"uri": self.uri, "reason": self.reason}


@dataclass(frozen=True)
class SourcePlaylist:
    id: str
    name: str
    description: str
    owner_id: str
    collaborative: bool
    # The URIs a restore writes, in order, duplicates kept.
    uris: tuple[str, ...]
    not_restorable: tuple[Unrestorable, ...] = ()
    # Spotify never let the save read its items: nothing to restore.
    withheld: bool = False


@dataclass
class Source:
    """`save_id` or `import_id` names where it came from."""

    save_id: str = ""
    import_id: str = ""
    label: str = ""
    playlists: list[SourcePlaylist] = field(default_factory=list)
    liked: list[str] = field(default_factory=list)
    liked_not_restorable: list[Unrestorable] = field(default_factory=list)
    # When each liked song was first liked (Spotify's `added_at`), by URI, where known.
    liked_added_at: dict[str, str] = field(default_factory=dict)
    albums: list[str] = field(default_factory=list)
    artists: list[str] = field(default_factory=list)


def playlist_item(item: dict[str, Any]) -> tuple[str | None, Unrestorable | None]:
    """A stored playlist item (2026 `item` or older `track`): its URI to write, or why it
    cannot be written."""
    obj = item.get("item") or item.get("track")
    if item.get("is_local") or (isinstance(obj, dict) and obj.get("is_local")):
        uri = obj.get("uri") if isinstance(obj, dict) else None
        return None, Unrestorable(uri, LOCAL_FILE)
    if not isinstance(obj, dict) or not obj.get("uri"):
        return None, Unrestorable(None, UNAVAILABLE)
    uri = str(obj["uri"])
    if obj.get("is_playable") is False or not uri.startswith(
        ("spotify:track:", "spotify:episode:")
    ):
        return None, Unrestorable(uri, UNAVAILABLE)
    return uri, None


def source_playlist(playlist_json: str, items_json: list[str]) -> SourcePlaylist:
    playlist = json.loads(playlist_json)
    uris: list[str] = []
    lost: list[Unrestorable] = []
    for raw in items_json:
        uri, why = playlist_item(json.loads(raw))
        if uri is not None:
            uris.append(uri)
        elif why is not None:
            lost.append(why)
    withheld = bool((playlist.get("tapedeck") or {}).get("items_withheld"))
    if withheld:
        lost = [Unrestorable(playlist.get("uri"), WITHHELD)]
    return SourcePlaylist(
        id=str(playlist["id"]),
        name=str(playlist.get("name") or ""),
        description=str(playlist.get("description") or ""),
        owner_id=str((playlist.get("owner") or {}).get("id") or ""),
        collaborative=bool(playlist.get("collaborative")),
        uris=tuple(uris),
        not_restorable=tuple(lost),
        withheld=withheld,
    )


def saved_uri(item_json: str, key: str) -> str | None:
    """The URI of a saved track or album ({"added_at", "track"|"album"}), or None."""
    obj = json.loads(item_json).get(key)
    if isinstance(obj, dict) and obj.get("uri") and not obj.get("is_local"):
        return str(obj["uri"])
    return None


def saved_added_at(item_json: str) -> str | None:
    """When a saved track or album was saved (its `added_at`), or None."""
    value = json.loads(item_json).get("added_at")
    return str(value) if isinstance(value, str) and value else None


def artist_uri(item_json: str) -> str | None:
    obj = json.loads(item_json)
    return str(obj["uri"]) if isinstance(obj, dict) and obj.get("uri") else None
