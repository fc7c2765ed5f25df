"""Which of a user's tracks have a finished download: the rules, without storage or gRPC."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Protocol

from kit.errors import InvalidArgument

# Track ids one ListDownloaded may ask about: an export asks a page of items at a time.
MAX_TRACK_IDS = 1000


@dataclass(frozen=True)
class Downloaded:
    track_id: str
    # Relative to the downloads folder, `/` between folders.
    path: str
    format: str
    duration_ms: int


class DownloadRepository(Protocol):
    def record(self, user_id: str, file: Downloaded, now: datetime) -> None: ...

    def finished(self, user_id: str, track_ids: Sequence[str]) -> list[Downloaded]: ...


def checked_path(path: str) -> str:
    """A stored path stays inside the downloads folder: relative, no `..`, no backslashes."""
    parts = PurePosixPath(path).parts
    if not parts or path.startswith("/") or "\\" in path or ".." in parts or "\x00" in path:
        raise InvalidArgument(f"not a path inside the downloads folder: {path!r}")
    return str(PurePosixPath(*parts))


class Downloads:
    def __init__(self, store: DownloadRepository) -> None:
        self._store = store

    def record(self, user_id: str, file: Downloaded, now: datetime | None = None) -> None:
        """What a finished job writes (the downloads issue's workers; tests until then)."""
        if not user_id or not file.track_id:
            raise InvalidArgument("a download needs a user and a track")
        checked = Downloaded(file.track_id, checked_path(file.path), file.format, file.duration_ms)
        self._store.record(user_id, checked, now or datetime.now(UTC))

    def downloaded(self, user_id: str, track_ids: Sequence[str]) -> list[Downloaded]:
        """The finished downloads among `track_ids`, in the order asked, each track once."""
        if not user_id:
            raise InvalidArgument("user_id is required")
        if len(track_ids) > MAX_TRACK_IDS:
            raise InvalidArgument(f"at most {MAX_TRACK_IDS} track ids at a time")
        asked = list(dict.fromkeys(t for t in track_ids if t))
        by_track = {f.track_id: f for f in self._store.finished(user_id, asked)}
        return [by_track[t] for t in asked if t in by_track]
