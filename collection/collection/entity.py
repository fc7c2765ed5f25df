"""What an entity service gives the engine: its kind, how to fetch that kind's collection
from Spotify (a plan), and how to present a stored item to reads."""

from __future__ import annotations

import json
from typing import Protocol

from collection.model import StoredEntry
from collection.sync import SyncRun, Write


class Entity(Protocol):
    # The kind of a library this entity is: playlists, tracks, albums or artists.
    kind: str

    def plan(self, run: SyncRun) -> list[Write]:
        """Fetches the first page(s) and submits the rest as tasks on the run."""
        ...

    def present(self, entry: StoredEntry, body: str, detail: str | None) -> str:
        """An item's JSON as reads return it. `detail` is given for single-item reads."""
        ...


def add_key(body: str, key: str, value: object) -> str:
    """A JSON object's text with one more key."""
    obj = json.loads(body)
    obj[key] = value
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
