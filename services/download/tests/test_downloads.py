"""The rules of recorded downloads, against an in-memory store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest

from download.downloads import MAX_TRACK_IDS, Downloaded, Downloads
from kit.errors import InvalidArgument


class MemoryStore:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Downloaded] = {}

    def record(self, user_id: str, file: Downloaded, now: datetime) -> None:
        self.rows[(user_id, file.track_id)] = file

    def finished(self, user_id: str, track_ids: Sequence[str]) -> list[Downloaded]:
        return [f for (u, t), f in self.rows.items() if u == user_id and t in track_ids]


@pytest.mark.parametrize(
    "path", ["/etc/passwd", "../up.mp3", "a/../../b.mp3", "a\\b.mp3", "", "a\x00.mp3"]
)
def test_a_path_outside_the_downloads_folder_is_refused(path: str) -> None:
    with pytest.raises(InvalidArgument):
        Downloads(MemoryStore()).record("u1", Downloaded("t1", path, "mp3", 1))


def test_a_path_is_kept_normalised() -> None:
    store = MemoryStore()
    Downloads(store).record("u1", Downloaded("t1", "a//b/./c.mp3", "mp3", 1))
    assert store.rows[("u1", "t1")].path == "a/b/c.mp3"


def test_too_many_ids_at_once_are_refused() -> None:
    with pytest.raises(InvalidArgument):
        Downloads(MemoryStore()).downloaded("u1", ["t"] * (MAX_TRACK_IDS + 1))


def test_a_user_is_required() -> None:
    with pytest.raises(InvalidArgument):
        Downloads(MemoryStore()).downloaded("", ["t1"])
