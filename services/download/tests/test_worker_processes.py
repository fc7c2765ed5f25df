"""Worker processes (`python -m download worker`) on a real database: one killed
mid-download leaves no partial file in the library and its job is finished by another
worker once the lease has passed; three processes on PostgreSQL run 60 jobs, each once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TypeVar

import pytest
from teststack.audio import AudioServer, Slow

from download.fetch import FetchSettings
from download.files import PARTIAL
from download.jobs import ENDED, Job, JobStatus, NewJob, TrackInfo
from download.store import JobStore
from download.wiring import MIGRATIONS
from download.worker import Workers, WorkerSettings
from kit.database import open_database

T = TypeVar("T")
TEMPLATE = "{album artist}/{album}/{track number} - {title}.{ext}"


def track(n: int) -> TrackInfo:
    return TrackInfo(
        id=f"track{n:04d}",
        name=f"Song {n}",
        artists=("Artist",),
        album="Album",
        track_number=n,
        duration_ms=2000,
        uri=f"spotify:track:track{n:04d}",
    )


@pytest.fixture
def audio() -> Iterator[AudioServer]:
    server = AudioServer().start()
    yield server
    server.stop()


def wait_for(check: Callable[[], T | None], what: str, timeout_s: float = 150.0) -> T:
    """Polls until `check` answers something. Generous: a process starting on a busy
    machine may take many seconds to import yt-dlp, SQLAlchemy and Alembic."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def files_in(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and PARTIAL not in p.relative_to(folder).parts
    )


class Lines:
    """A process's stdout (JSON log lines), read on a thread of its own."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)

    def count(self, text: str) -> int:
        return sum(text in line for line in list(self.lines))


@contextmanager
def worker_process(
    tmp_path: Path, database_url: str, audio: AudioServer, **env: str
) -> Iterator[tuple[subprocess.Popen[str], Lines]]:
    """`python -m download worker` with the test's settings (nothing from the repo's .env:
    it runs in `tmp_path`)."""
    environment = {
        **os.environ,
        "TAPEDECK_DATA_DIR": str(tmp_path),
        "TAPEDECK_DOWNLOAD_DATABASE_URL": database_url,
        "TAPEDECK_DOWNLOAD_URL_TEMPLATE": audio.url + "/{track_id}.wav",
        "TAPEDECK_DOWNLOAD_POLL_S": "0.1",
        "TAPEDECK_DOWNLOAD_HEARTBEAT_S": "0.2",
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "download", "worker"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    try:
        yield process, Lines(process.stdout)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(30)


def test_a_killed_worker_leaves_no_partial_file_and_its_job_is_finished_by_another(
    sqlite_database_url: str, audio: AudioServer, tmp_path: Path
) -> None:
    store = JobStore(open_database(sqlite_database_url, MIGRATIONS))
    downloads = tmp_path / "downloads"
    job = track(1)
    slow = audio.slow[f"/{job.id}.wav"] = Slow()
    [queued] = store.add("u1", [NewJob(job, "url")], datetime.now(UTC))
    with worker_process(tmp_path, sqlite_database_url, audio, TAPEDECK_DOWNLOAD_LEASE_S="2") as (
        process,
        _,
    ):
        # Generous: the process imports yt-dlp, SQLAlchemy and Alembic first.
        assert slow.started.wait(150), "the worker began the download"
        partial = downloads / PARTIAL / queued.id
        wait_for(lambda: next((p for p in partial.glob("*") if p.stat().st_size), None), "data")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    slow.release.set()
    # Half a file in the job's temporary folder, nothing in the library; the job still
    # looks running: its lease has not passed yet.
    assert files_in(downloads) == []
    killed = store.get("u1", queued.id)
    assert killed is not None and killed.status == JobStatus.RUNNING and killed.attempts == 1

    other = Workers(
        store,
        WorkerSettings(
            downloads=downloads,
            fetch=FetchSettings(url_template=audio.url + "/{track_id}.wav"),
            path_template=TEMPLATE,
            lease_s=2.0,
            heartbeat_s=0.1,
            poll_s=0.05,
        ),
    ).start()

    def ended() -> Job | None:
        found = store.get("u1", queued.id)
        return found if found is not None and found.status in ENDED else None

    try:
        done = wait_for(ended, "the job to end")
    finally:
        other.stop()
    assert done.status == JobStatus.SUCCEEDED and done.attempts == 2
    assert files_in(downloads) == [downloads / done.path]
    assert (downloads / done.path).stat().st_size == done.bytes > len(audio.audio) // 2
    assert not partial.exists()


def test_three_worker_processes_on_postgresql_run_every_job_exactly_once(
    postgres_databases: Callable[[], str], audio: AudioServer, tmp_path: Path
) -> None:
    url = postgres_databases()
    db = open_database(url, MIGRATIONS)
    store = JobStore(db)
    tracks = [track(n) for n in range(60)]
    for t in tracks:
        # A fifth of a second each, so the work spreads over every process.
        audio.slow[f"/{t.id}.wav"] = Slow(trickle_bytes=4096, every_s=0.05)
    with worker_process(
        tmp_path,
        url,
        audio,
        TAPEDECK_DOWNLOAD_WORKER_PROCESSES="3",
        TAPEDECK_DOWNLOAD_CONCURRENCY="2",
    ) as (_, out):
        wait_for(lambda: out.count("download workers started") >= 3 or None, "3 processes")
        jobs = store.add("u1", [NewJob(t, "url") for t in tracks], datetime.now(UTC))

        def all_ended() -> list[Job] | None:
            now = [store.get("u1", j.id) for j in jobs]
            ended = [j for j in now if j is not None and j.status in ENDED]
            return ended if len(ended) == len(jobs) else None

        done = wait_for(all_ended, "60 jobs to end")
    assert {j.status for j in done} == {JobStatus.SUCCEEDED}
    assert {j.attempts for j in done} == {1}
    # yt-dlp asks each file twice (a look at its first bytes, then the download): each job
    # ran exactly once.
    assert {audio.requests[f"/{t.id}.wav"] for t in tracks} == {2}
    assert len(files_in(tmp_path / "downloads")) == 60
    # Claimed by all three processes.
    assert len({j.worker for j in done}) == 3
    db.dispose()
