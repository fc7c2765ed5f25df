"""What the library needs from the entity services (playlist, track, album, artist): a small
interface, so the logic runs against the real gRPC clients or an in-memory stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Ref:
    """An item as a comparison names it: its Spotify id, uri and name (each may be empty)."""

    id: str = ""
    uri: str = ""
    name: str = ""


@dataclass(frozen=True)
class Progress:
    """How far a kind's sync has come, as its entity service reports it."""

    done: int
    total: int | None
    spotify_requests: int


@dataclass(frozen=True)
class Outcome:
    """A kind's finished sync: the version it made."""

    version: str
    count: int
    spotify_requests: int


@dataclass(frozen=True)
class ChangedItem:
    """An item in both versions whose own items changed (a playlist's tracks)."""

    item: Ref
    added: list[Ref] = field(default_factory=list)
    removed: list[Ref] = field(default_factory=list)


@dataclass(frozen=True)
class Comparison:
    """What changed between two versions of one kind."""

    added: list[Ref] = field(default_factory=list)
    removed: list[Ref] = field(default_factory=list)
    changed: list[ChangedItem] = field(default_factory=list)


@dataclass(frozen=True)
class SyncOrder:
    user_id: str
    save_id: str
    full: bool
    # The kind's version in the user's newest save that completed it; "" for none.
    base_version: str
    # Spotify requests the sync may have in flight (its share of the user's bound); 0 for
    # the entity service's own bound.
    concurrency: int = 0
    # The save base_version comes from ("" for none): what the ledger compares with.
    base_save_id: str = ""


@dataclass(frozen=True)
class Page:
    items_json: list[str]
    total: int


EMPTY_PAGE = Page([], 0)


NO_CHANGES = Comparison()


@dataclass(frozen=True)
class Garbage:
    """What one garbage collection of a kind's service deleted, and its database's bytes
    before and after giving the space back (0 when it did not)."""

    listings: int
    objects: int
    bytes_before: int
    bytes_after: int


class Entities(Protocol):
    """Every call raises kit.errors types; a service that is down raises Unavailable."""

    def sync(
        self, kind: str, order: SyncOrder, on_progress: Callable[[Progress], None]
    ) -> Outcome: ...

    def set_concurrency(self, kind: str, user_id: str, save_id: str, concurrency: int) -> None:
        """Changes the share of that save's running sync of `kind`; NotFound when it is
        not running (any more)."""
        ...

    def list_items(
        self, kind: str, user_id: str, version: str, offset: int, limit: int
    ) -> Page: ...

    def get_item(self, kind: str, user_id: str, version: str, item_id: str) -> str: ...

    def list_playlist_items(
        self, user_id: str, version: str, playlist_id: str, offset: int, limit: int
    ) -> Page: ...

    def compare(
        self, kind: str, user_id: str, from_version: str, to_version: str
    ) -> Comparison: ...

    def cancel_syncs(self) -> None:
        """Ends every running sync at once (each raises); used when the service stops."""
        ...

    def keep_versions(self, kind: str, user_id: str, versions: Iterable[str]) -> int:
        """Has the kind's service forget the user's other versions; how many went."""
        ...

    def collect_garbage(self, kind: str) -> Garbage:
        """Has the kind's service delete what no version reaches any more."""
        ...
