"""What the library needs from the entity services (playlist, track, album, artist): a small
interface, so the logic runs against the real gRPC clients or an in-memory stand-in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

# A sync's progress and outcome, and what changed between two versions: the collection
# contract's own types, under the names the library uses.
from kit.collection.model import ChangedItem as Changed
from kit.collection.model import Comparison as Changes
from kit.collection.model import Outcome as SyncOutcome
from kit.collection.model import Progress as SyncProgress
from kit.collection.model import Ref

__all__ = ["Changed", "Changes", "Ref", "SyncOutcome", "SyncProgress"]


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


@dataclass(frozen=True)
class Page:
    items_json: list[str]
    total: int


EMPTY_PAGE = Page([], 0)


NO_CHANGES = Changes()


class Entities(Protocol):
    """Every call raises kit.errors types; a service that is down raises Unavailable."""

    def sync(
        self, kind: str, order: SyncOrder, on_progress: Callable[[SyncProgress], None]
    ) -> SyncOutcome: ...

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

    def compare(self, kind: str, user_id: str, from_version: str, to_version: str) -> Changes: ...

    def cancel_syncs(self) -> None:
        """Ends every running sync at once (each raises); used when the service stops."""
        ...
