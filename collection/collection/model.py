"""What a collection holds, without storage or gRPC: entries of a listing, their references,
and the content digests that make an unchanged object or list stored once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

Json = dict[str, Any]


@dataclass(frozen=True)
class Ref:
    """How an item is named in a diff: its Spotify id, uri and name (each may be empty)."""

    id: str = ""
    uri: str = ""
    name: str = ""

    @property
    def key(self) -> str:
        """What makes two items the same one across versions."""
        return self.uri or self.id


@dataclass(frozen=True)
class Entry:
    """One position of a listing being written."""

    position: int
    obj: Any
    ref: Ref
    tag: str | None = None
    detail: Json | None = None
    # A detail object already stored (reused from an earlier version).
    detail_digest: str | None = None
    # A sealed listing's id (a playlist's items).
    children: str | None = None
    withheld: bool = False


@dataclass(frozen=True)
class StoredEntry:
    """One position of a stored listing, as reads see it."""

    position: int
    ref: Ref
    tag: str | None
    object_digest: str
    detail_digest: str | None
    children: str | None
    children_count: int
    withheld: bool


@dataclass(frozen=True)
class Listing:
    """A stored listing: its id and how many entries it has."""

    id: str
    count: int


@dataclass(frozen=True)
class Progress:
    """How far a sync has come."""

    done: int
    total: int | None
    spotify_requests: int


@dataclass(frozen=True)
class Outcome:
    """A finished sync: the version it made."""

    version: str
    count: int
    spotify_requests: int


@dataclass(frozen=True)
class ChangedItem:
    item: Ref
    added: list[Ref] = field(default_factory=list)
    removed: list[Ref] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    added: list[Ref] = field(default_factory=list)
    removed: list[Ref] = field(default_factory=list)
    changed: list[ChangedItem] = field(default_factory=list)


def json_text(obj: Any) -> str:
    """Spotify's JSON, re-encoded compactly with key order and characters kept as sent.
    orjson: the same text as json.dumps(ensure_ascii=False, separators=(",", ":")), ten
    times faster, and encoding every item is a sync's main cost after the network."""
    return orjson.dumps(obj).decode()


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""


def ref_of(obj: Any) -> Ref:
    """The reference of a Spotify object (track, episode, album, artist, playlist, or null)."""
    if not isinstance(obj, dict):
        return Ref()
    return Ref(text_of(obj.get("id")), text_of(obj.get("uri")), text_of(obj.get("name")))


def compare_refs(old: list[Ref], new: list[Ref]) -> tuple[list[Ref], list[Ref]]:
    """What was added to and removed from a list, as multisets by key, in list order: an
    item present twice before and once now was removed once."""
    remaining: dict[str, int] = {}
    for ref in old:
        remaining[ref.key] = remaining.get(ref.key, 0) + 1
    added = []
    for ref in new:
        if remaining.get(ref.key, 0) > 0:
            remaining[ref.key] -= 1
        else:
            added.append(ref)
    removed = []
    for ref in reversed(old):
        if remaining.get(ref.key, 0) > 0:
            remaining[ref.key] -= 1
            removed.append(ref)
    removed.reverse()
    return added, removed
