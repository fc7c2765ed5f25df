"""The download service's storage, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from download.downloads import Downloaded, Downloads
from download.store import DownloadStore
from download.wiring import MIGRATIONS
from kit.database import open_database

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _downloads(url: str) -> Downloads:
    return Downloads(DownloadStore(open_database(url, MIGRATIONS)))


def test_finished_downloads_are_answered_in_the_order_asked(database_url: str) -> None:
    downloads = _downloads(database_url)
    downloads.record("u1", Downloaded("t1", "Artist/One.mp3", "mp3", 201_000), NOW)
    downloads.record("u1", Downloaded("t2", "Artist/Two.m4a", "m4a", 5_500), NOW)
    found = downloads.downloaded("u1", ["t2", "t9", "t1", "t2"])
    assert found == [
        Downloaded("t2", "Artist/Two.m4a", "m4a", 5_500),
        Downloaded("t1", "Artist/One.mp3", "mp3", 201_000),
    ]


def test_another_users_downloads_are_not_answered(database_url: str) -> None:
    downloads = _downloads(database_url)
    downloads.record("u1", Downloaded("t1", "a.mp3", "mp3", 1000), NOW)
    assert downloads.downloaded("u2", ["t1"]) == []


def test_a_new_download_of_a_track_replaces_the_old_file(database_url: str) -> None:
    downloads = _downloads(database_url)
    downloads.record("u1", Downloaded("t1", "old.mp3", "mp3", 1000), NOW)
    downloads.record("u1", Downloaded("t1", "new.opus", "opus", 2000), NOW)
    assert downloads.downloaded("u1", ["t1"]) == [Downloaded("t1", "new.opus", "opus", 2000)]


def test_many_ids_are_asked_in_chunks(database_url: str) -> None:
    downloads = _downloads(database_url)
    for n in range(0, 1000, 7):
        downloads.record("u1", Downloaded(f"t{n}", f"{n}.mp3", "mp3", n), NOW)
    found = downloads.downloaded("u1", [f"t{n}" for n in range(1000)])
    assert [f.track_id for f in found] == [f"t{n}" for n in range(0, 1000, 7)]
