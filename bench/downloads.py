"""Benchmark: download throughput of the download workers.

FILES files of SIZE MB each (a WAV of a sine wave) are served by a local HTTP server
(teststack.audio, the tests' server) and downloaded through the `url` source by the real
workers (download.worker.Workers: claim from the database, yt-dlp, tag with mutagen,
SHA-256, rename into place, record) with 1, 4 and 8 downloads at once, each run on a fresh
SQLite database and downloads folder. Reported per concurrency: files per second, MB/s, and
that versus the raw speed of copying the same files over the same server with as many
threads (urllib, each response copied to a file: the floor any downloader pays).

The process's CPU time is split: the time each download's thread spends inside yt-dlp
(thread CPU around the fetch: yt-dlp's extraction and its read-write loop) and the rest
(claiming, heartbeats, tagging, hashing, renaming, the database), per download.

    make bench-downloads                  # or: .venv/bin/python bench/downloads.py --help
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from teststack.audio import AudioServer, sine_wav

from download.fetch import Fetched, FetchSettings, fetch
from download.jobs import JobStatus, NewJob, TrackInfo
from download.store import JobStore
from download.worker import Workers, WorkerSettings
from download.worker_wiring import MIGRATIONS
from kit.database import open_database

TEMPLATE = "{album artist}/{album}/{track number} - {title}.{ext}"


@dataclass
class Run:
    concurrency: int
    files: int
    seconds: float
    cpu_s: float
    yt_dlp_cpu_s: float
    raw_seconds: float

    @property
    def files_per_s(self) -> float:
        return self.files / self.seconds


def tracks(n: int) -> list[TrackInfo]:
    return [
        TrackInfo(
            id=f"bench{i:05d}",
            name=f"Song {i}",
            artists=("Bench Artist",),
            album="Bench Album",
            album_artists=("Bench Artist",),
            track_number=i % 99 + 1,
            duration_ms=200_000,
            uri=f"spotify:track:bench{i:05d}",
        )
        for i in range(n)
    ]


def timed(counter: list[float], lock: threading.Lock) -> Callable[..., Fetched]:
    """fetch, with the calling thread's CPU time in it added to `counter`."""

    def run(*args: Any) -> Fetched:
        start = time.thread_time()
        try:
            return fetch(*args)
        finally:
            spent = time.thread_time() - start
            with lock:
                counter[0] += spent

    return run


def raw_copy(server: AudioServer, names: list[str], concurrency: int, folder: Path) -> float:
    """Seconds to copy every file over the server with `concurrency` threads."""

    def one(name: str) -> None:
        with urllib.request.urlopen(f"{server.url}/{name}.wav", timeout=60) as answer:
            with (folder / f"{name}.wav").open("wb") as out:
                shutil.copyfileobj(answer, out, 1 << 20)

    start = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, names))
    return time.monotonic() - start


def run(server: AudioServer, files: int, concurrency: int, root: Path) -> Run:
    work = root / f"c{concurrency}"
    work.mkdir()
    db = open_database(f"sqlite:///{work / 'download.db'}", MIGRATIONS)
    store = JobStore(db)
    all_tracks = tracks(files)
    yt_dlp_cpu = [0.0]
    lock = threading.Lock()
    settings = WorkerSettings(
        downloads=work / "downloads",
        fetch=FetchSettings(url_template=server.url + "/{track_id}.wav", socket_timeout_s=60),
        path_template=TEMPLATE,
        concurrency=concurrency,
        lease_s=600,
        heartbeat_s=2.0,
        poll_s=0.05,
    )
    store.add("bench", [NewJob(t, "url") for t in all_tracks], datetime.now(UTC))
    cpu_start, start = time.process_time(), time.monotonic()
    workers = Workers(store, settings, run=timed(yt_dlp_cpu, lock)).start()
    try:
        while store.page("bench", JobStatus.SUCCEEDED, 0, 1).total < files:
            failed = store.page("bench", JobStatus.FAILED, 0, 1)
            if failed.total:
                raise SystemExit(f"a download failed: {failed.jobs[0].error}")
            time.sleep(0.05)
    finally:
        workers.stop()
    seconds = time.monotonic() - start
    cpu = time.process_time() - cpu_start
    db.dispose()
    raw_folder = work / "raw"
    raw_folder.mkdir()
    raw = raw_copy(server, [t.id for t in all_tracks], concurrency, raw_folder)
    shutil.rmtree(work)
    return Run(concurrency, files, seconds, cpu, yt_dlp_cpu[0], raw)


def say(*lines: str, flush: bool = True) -> None:
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--mb", type=float, default=3.0, help="size of each file, MB")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    # 8 kHz, 16-bit mono: 16,000 bytes a second.
    audio = sine_wav(args.mb * 1_000_000 / 16_000)
    server = AudioServer(audio).start()
    say(
        f"# {args.files} files of {len(audio) / 1e6:.2f} MB, {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    say(
        "| downloads at once | files/s | MB/s | raw copy MB/s | vs raw | CPU/download "
        "in yt-dlp | CPU/download outside yt-dlp |"
    )
    say("|---|---|---|---|---|---|---|")
    try:
        with tempfile.TemporaryDirectory(prefix="tapedeck-bench-downloads-") as root:
            for concurrency in args.concurrency:
                r = run(server, args.files, concurrency, Path(root))
                mb = len(audio) * r.files / 1e6
                outside = (r.cpu_s - r.yt_dlp_cpu_s) / r.files
                say(
                    f"| {concurrency} | {r.files_per_s:.1f} | {mb / r.seconds:.0f} | "
                    f"{mb / r.raw_seconds:.0f} | {r.raw_seconds / r.seconds:.2f}x | "
                    f"{r.yt_dlp_cpu_s / r.files * 1000:.0f} ms | {outside * 1000:.0f} ms |",
                    flush=True,
                )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
