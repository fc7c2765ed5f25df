"""A restore job as the logic sees it: its state, and the targets it writes one by one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

QUEUED, RUNNING, SUCCEEDED, PARTIAL, FAILED, CANCELLED = (
    "queued",
    "running",
    "succeeded",
    "partial",
    "failed",
    "cancelled",
)
ACTIVE = (QUEUED, RUNNING)
MODES = ("new", "replace")

# Targets: what one step of a restore writes.
PLAYLIST, LIKED, ALBUMS = "playlist", "liked", "albums"
# A target's state: pending, created (a new playlist exists, its id recorded, nothing
# known about its items), done, or failed.
PENDING, CREATED, DONE, TARGET_FAILED = "pending", "created", "done", "failed"


@dataclass(frozen=True)
class Selection:
    all_playlists: bool = False
    playlists: tuple[str, ...] = ()
    liked: bool = False
    albums: bool = False
    artists: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "all_playlists": self.all_playlists,
            "playlists": list(self.playlists),
            "liked": self.liked,
            "albums": self.albums,
            "artists": self.artists,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Selection:
        return cls(
            bool(value["all_playlists"]),
            tuple(value["playlists"]),
            bool(value["liked"]),
            bool(value["albums"]),
            bool(value["artists"]),
        )


@dataclass
class Restore:
    id: str
    user_id: str
    status: str
    dry_run: bool
    mode: str
    source_save: str
    source_import: str
    selection: Selection
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    plan: dict[str, Any] = field(default_factory=dict)
    done: int = 0
    total: int = 0
    spotify_requests: int = 0
    error_code: str = ""
    error_message: str = ""
    # Asked through any replica; the one running the restore ends it cancelled.
    cancel_requested: bool = False

    @property
    def ended(self) -> bool:
        return self.status not in ACTIVE


@dataclass
class Target:
    """One playlist, Liked Songs or the saved albums, as the job left it: `target_id` is
    the playlist written (recorded as soon as a new one exists), `done` the items written
    so far (each batch recorded as it succeeds)."""

    position: int
    kind: str
    source_id: str
    target_id: str = ""
    state: str = PENDING
    done: int = 0
    total: int = 0
