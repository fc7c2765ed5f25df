"""Download workers on a real database, running real yt-dlp against a local HTTP server of
real audio (the `url` source): files tagged and placed whole, retries, failures with
reasons, cancels, dedup."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import mutagen
import pytest
from teststack.audio import AudioServer, Slow
from yt_dlp.utils import DownloadError

from download.downloads import Downloads
from download.fetch import Fetched, FetchSettings, SourceBlocked, classify
from download.files import PARTIAL
from download.jobs import ENDED, Job, Jobs, JobStatus, NewJob, Order, TrackInfo
from download.paths import safe_name
from download.store import DownloadStore, JobStore
from download.wiring import MIGRATIONS
from download.worker import Workers, WorkerSettings
from kit.database import Database, open_database
from teststack import audio_formats

T = TypeVar("T")

TRACK = TrackInfo(
    id="4uLU6hMCjMI75M1A2tKUQC",
    name="Never Gonna Give You Up",
    artists=("Rick Astley",),
    album="Whenever You Need Somebody",
    album_artists=("Rick Astley",),
    track_number=1,
    disc_number=1,
    release_date="1987-11-12",
    isrc="GBARL9300135",
    duration_ms=2000,
    uri="spotify:track:4uLU6hMCjMI75M1A2tKUQC",
)


def track(n: int) -> TrackInfo:
    return replace(TRACK, id=f"track{n:04d}", name=f"Song {n}", uri=f"spotify:track:track{n:04d}")


@pytest.fixture
def audio() -> Iterator[AudioServer]:
    server = AudioServer().start()
    yield server
    server.stop()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url, MIGRATIONS)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(sqlite_database_url: str) -> Iterator[Database]:
    """For what does not depend on the database (the claiming is tested on both)."""
    database = open_database(sqlite_database_url, MIGRATIONS)
    yield database
    database.dispose()


def settings(
    downloads: Path, audio: AudioServer, socket_timeout_s: float = 5.0, **changes: object
) -> WorkerSettings:
    base = WorkerSettings(
        downloads=downloads,
        fetch=FetchSettings(
            url_template=audio.url + "/{track_id}.wav", socket_timeout_s=socket_timeout_s
        ),
        path_template="{album artist}/{album}/{track number} - {title}.{ext}",
        concurrency=2,
        lease_s=30.0,
        heartbeat_s=0.05,
        poll_s=0.05,
        max_attempts=3,
        retry_base_s=0.01,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def wait_for(check: Callable[[], T | None], what: str, timeout_s: float = 20.0) -> T:
    """Polls until `check` answers something (a job's state is in the database: other
    processes may write it)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found is not None:
            return found
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def ended(store: JobStore, job: Job) -> Job:
    def check() -> Job | None:
        found = store.get(job.user_id, job.id)
        return found if found is not None and found.status in ENDED else None

    return wait_for(check, f"job {job.id} to end")


def files_in(folder: Path) -> list[Path]:
    """The library's files: everything under the downloads folder but the partial ones."""
    return sorted(
        p for p in folder.rglob("*") if p.is_file() and PARTIAL not in p.relative_to(folder).parts
    )


def test_a_track_is_downloaded_tagged_and_placed_whole(
    db: Database, audio: AudioServer, tmp_path: Path
) -> None:
    store = JobStore(db)
    downloads = tmp_path / "downloads"
    [job] = store.add("u1", [NewJob(TRACK, "url")], datetime.now(UTC))
    workers = Workers(store, settings(downloads, audio)).start()
    try:
        done = ended(store, job)
    finally:
        workers.stop()
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.progress == 1.0 and done.attempts == 1
    assert done.path == "u1/Rick Astley/Whenever You Need Somebody/01 - Never Gonna Give You Up.wav"
    file = downloads / done.path
    assert files_in(downloads) == [file]
    assert done.bytes == file.stat().st_size
    assert done.checksum == hashlib.sha256(file.read_bytes()).hexdigest()
    assert done.source_url == f"{audio.url}/{TRACK.id}.wav"
    tags = mutagen.File(file)
    assert tags is not None and tags.tags is not None
    assert str(tags.tags["TIT2"]) == "Never Gonna Give You Up"
    assert str(tags.tags["TPE1"]) == "Rick Astley"
    assert str(tags.tags["TALB"]) == "Whenever You Need Somebody"
    assert str(tags.tags["TSRC"]) == "GBARL9300135"
    # The exports see it as the user's finished download.
    [recorded] = Downloads(DownloadStore(db)).downloaded("u1", [TRACK.id])
    assert (recorded.path, recorded.format) == (done.path, "wav")
    assert not list((downloads / PARTIAL).iterdir())


@pytest.mark.parametrize(
    ("answer", "attempts", "reason"),
    [(404, 1, "HTTP 404"), (500, 3, "HTTP 500"), ("stall", 3, "timed out")],
)
def test_a_failing_source_ends_the_job_failed_with_a_reason(
    sqlite_db: Database,
    audio: AudioServer,
    tmp_path: Path,
    answer: int | str,
    attempts: int,
    reason: str,
) -> None:
    path = f"/{TRACK.id}.wav"
    if answer == "stall":
        audio.stalled.add(path)
    else:
        audio.statuses[path] = int(answer)
    store = JobStore(sqlite_db)
    [job] = store.add("u1", [NewJob(TRACK, "url")], datetime.now(UTC))
    downloads = tmp_path / "downloads"
    workers = Workers(store, settings(downloads, audio, socket_timeout_s=0.3)).start()
    try:
        done = ended(store, job)
    finally:
        workers.stop()
    assert done.status == JobStatus.FAILED
    # A 404 will not change: no retry. A 500 or a timeout may: retried, then given up.
    assert done.attempts == attempts
    assert reason in done.error
    assert files_in(downloads) == []


def test_cancelling_a_running_job_stops_it_and_removes_its_temporary_file(
    db: Database, audio: AudioServer, tmp_path: Path
) -> None:
    slow = audio.slow[f"/{TRACK.id}.wav"] = Slow()
    store = JobStore(db)
    [job] = store.add("u1", [NewJob(TRACK, "url")], datetime.now(UTC))
    downloads = tmp_path / "downloads"
    workers = Workers(store, settings(downloads, audio)).start()
    try:
        assert slow.started.wait(20)
        partial = downloads / PARTIAL / job.id
        # Half the file is in the job's temporary folder, none in the library.
        wait_for(lambda: next((p for p in partial.glob("*") if p.stat().st_size), None), "data")
        assert files_in(downloads) == []
        running = store.get("u1", job.id)
        assert running is not None and running.status == JobStatus.RUNNING
        store.cancel("u1", job.id, datetime.now(UTC))
        done = ended(store, job)
    finally:
        slow.release.set()
        workers.stop()
    assert done.status == JobStatus.CANCELLED
    assert not partial.exists()
    assert files_in(downloads) == []


def test_the_same_track_is_queued_once_and_downloaded_once(
    db: Database, audio: AudioServer, tmp_path: Path
) -> None:
    store = JobStore(db)
    now = datetime.now(UTC)
    [first] = store.add("u1", [NewJob(TRACK, "url")], now)
    [again] = store.add("u1", [NewJob(TRACK, "url")], now)
    assert again.id == first.id
    # Another user's download of the same track is theirs.
    [other] = store.add("u2", [NewJob(TRACK, "url")], now)
    assert other.id != first.id
    workers = Workers(store, settings(tmp_path, audio)).start()
    try:
        ended(store, first)
        ended(store, other)
        [after] = store.add("u1", [NewJob(TRACK, "url")], now)
    finally:
        workers.stop()
    assert after.id == first.id and after.status == JobStatus.SUCCEEDED
    # Two downloads (one per user), each looked at once and fetched once by yt-dlp.
    assert audio.requests[f"/{TRACK.id}.wav"] == 4


def test_a_title_full_of_path_characters_is_filed_safely_inside_the_users_folder(
    sqlite_db: Database, audio: AudioServer, tmp_path: Path
) -> None:
    store = JobStore(sqlite_db)
    downloads = tmp_path / "downloads"
    nasty = replace(
        TRACK, name="../../x", album="CON", album_artists=("a/b\\c",), artists=("a/b\\c",)
    )
    long = replace(TRACK, id="long0000000000000000000", name="é" * 300)
    now = datetime.now(UTC)
    jobs = store.add("../u1", [NewJob(nasty, "url"), NewJob(long, "url")], now)
    workers = Workers(store, settings(downloads, audio)).start()
    try:
        done = [ended(store, j) for j in jobs]
    finally:
        workers.stop()
    assert [d.status for d in done] == [JobStatus.SUCCEEDED] * 2, [d.error for d in done]
    for d in done:
        file = (downloads / d.path).resolve()
        # Inside the user's own folder, every name one name, nothing climbing out.
        assert file.is_relative_to((downloads / safe_name("../u1")).resolve()), d.path
        assert all(len(part.encode()) <= 255 for part in Path(d.path).parts)
    assert done[0].path == f"{safe_name('../u1')}/a_b_c/CON_/01 - _.._x.wav"


class Blocked:
    """A source that answers as YouTube does when it wants a sign-in: what yt-dlp raises is
    sorted by download.fetch.classify, as for a real run."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, *args: object) -> Fetched:
        self.calls += 1
        error = DownloadError(
            "ERROR: [youtube] dQw4w9WgXcQ: Sign in to confirm you're not a bot. Use "
            "--cookies-from-browser or --cookies for the authentication."
        )
        raise classify(error)


def test_youtube_asking_for_a_sign_in_pauses_every_youtube_job_with_an_actionable_error(
    sqlite_db: Database, audio: AudioServer, tmp_path: Path
) -> None:
    store = JobStore(sqlite_db)
    now = datetime.now(UTC)
    youtube = store.add("u1", [NewJob(track(n), "youtube") for n in range(5)], now)
    source = Blocked()
    workers = Workers(store, settings(tmp_path, audio, concurrency=1), run=source).start()
    try:
        first = wait_for(
            lambda: next(
                (j for j in (store.get("u1", y.id) for y in youtube) if j and j.error), None
            ),
            "a job to meet the sign-in check",
        )
        # Every other YouTube job waits instead of burning through the queue.
        time.sleep(0.5)
    finally:
        workers.stop()
    assert source.calls == 1
    assert first.status == JobStatus.QUEUED
    assert "TAPEDECK_DOWNLOAD_COOKIES" in first.error
    assert store.paused_until("youtube", datetime.now(UTC)) is not None
    assert [store.get("u1", y.id).attempts for y in youtube].count(0) == 4  # type: ignore[union-attr]


def test_yt_dlp_failures_are_sorted_into_what_the_worker_does_next() -> None:
    def sorted_as(message: str) -> str:
        return type(classify(DownloadError(message))).__name__

    assert sorted_as("ERROR: [youtube] x: Sign in to confirm you’re not a bot") == "SourceBlocked"
    assert (
        sorted_as("WARNING: [youtube] No supported JavaScript runtime could be found")
        == "SourceBlocked"
    )
    # yt-dlp warns of the missing runtime, then only says the format is missing.
    runtime = classify(
        DownloadError("ERROR: [youtube] x: Requested format is not available"),
        warnings=["[youtube] No supported JavaScript runtime could be found."],
    )
    assert isinstance(runtime, SourceBlocked) and "deno" in runtime.reason
    assert sorted_as("ERROR: [youtube] x: Requested format is not available") == "Transient"
    assert sorted_as("ERROR: [youtube] x: Sign in to confirm your age") == "Permanent"
    assert sorted_as("ERROR: [youtube] x: Private video") == "Permanent"
    assert sorted_as("ERROR: [youtube] x: Video unavailable") == "Permanent"
    assert sorted_as("ERROR: unable to download video data: timed out") == "Transient"
    assert sorted_as("ERROR: something nobody foresaw") == "Transient"


def test_a_job_cancelled_while_its_worker_was_dead_is_not_run_again(
    db: Database, audio: AudioServer, tmp_path: Path
) -> None:
    store = JobStore(db)
    downloads = tmp_path / "downloads"
    [job] = store.add("u1", [NewJob(TRACK, "url")], datetime.now(UTC))
    # A worker claims it, writes half a file, and dies; the user cancels meanwhile.
    claimed = store.claim("dead-worker", datetime.now(UTC), lease_s=0.2)
    assert claimed is not None and claimed.id == job.id
    partial = downloads / PARTIAL / job.id
    partial.mkdir(parents=True)
    (partial / "audio.wav.part").write_bytes(b"RIFF half")
    store.cancel("u1", job.id, datetime.now(UTC))
    workers = Workers(store, settings(downloads, audio)).start()
    try:
        done = ended(store, job)
    finally:
        workers.stop()
    assert done.status == JobStatus.CANCELLED and done.attempts == 1
    assert sum(audio.requests.values()) == 0
    assert not partial.exists()


class SavedTracks:
    """The user's saved tracks, as the library service would answer them."""

    def __init__(self, *tracks: TrackInfo) -> None:
        self.by_id = {t.id: t for t in tracks}

    def tracks(self, user_id: str, track_ids: Sequence[str]) -> list[TrackInfo]:
        return [self.by_id[t] for t in track_ids]

    def playlist_tracks(self, user_id: str, playlist_id: str) -> list[TrackInfo]:
        return list(self.by_id.values())

    def liked_tracks(self, user_id: str) -> list[TrackInfo]:
        return list(self.by_id.values())


def test_a_file_deleted_from_disk_is_downloaded_again_on_request(
    sqlite_db: Database, audio: AudioServer, tmp_path: Path
) -> None:
    store = JobStore(sqlite_db)
    downloads = tmp_path / "downloads"
    jobs = Jobs(store, SavedTracks(TRACK), downloads, default_source="url")
    workers = Workers(store, settings(downloads, audio)).start()
    try:
        [job] = jobs.enqueue("u1", Order(track_ids=[TRACK.id]), datetime.now(UTC))
        first = ended(store, job)
        (downloads / first.path).unlink()
        [again] = jobs.enqueue("u1", Order(track_ids=[TRACK.id]), datetime.now(UTC))
        assert again.id == first.id and again.status == JobStatus.QUEUED
        # Gone from the finished downloads the exports read, until it is back.
        assert Downloads(DownloadStore(sqlite_db)).downloaded("u1", [TRACK.id]) == []
        second = ended(store, again)
    finally:
        workers.stop()
    assert second.status == JobStatus.SUCCEEDED
    assert (downloads / second.path).is_file()
    assert audio.requests[f"/{TRACK.id}.wav"] == 4


@pytest.mark.parametrize(
    ("ext", "content_type", "make", "tagged"),
    [
        ("m4a", "audio/mp4", audio_formats.m4a, True),
        ("opus", "audio/ogg", audio_formats.opus, True),
        ("flac", "audio/flac", audio_formats.flac, True),
        ("mp3", "audio/mpeg", audio_formats.mp3, True),
        # mutagen cannot tag WebM: kept as it came, untagged, rather than lost.
        ("webm", "audio/webm", audio_formats.webm, False),
    ],
)
def test_each_container_is_kept_native_and_tagged(
    sqlite_db: Database,
    tmp_path: Path,
    ext: str,
    content_type: str,
    make: Callable[[float], bytes],
    tagged: bool,
) -> None:
    server = AudioServer(make(1.0), content_type=content_type).start()
    store = JobStore(sqlite_db)
    downloads = tmp_path / "downloads"
    [job] = store.add("u1", [NewJob(TRACK, "url")], datetime.now(UTC))
    base = settings(downloads, server)
    fetch_settings = replace(base.fetch, url_template=server.url + "/{track_id}." + ext)
    workers = Workers(store, replace(base, fetch=fetch_settings)).start()
    try:
        done = ended(store, job)
    finally:
        workers.stop()
        server.stop()
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert done.format == ext and done.path.endswith(f"Never Gonna Give You Up.{ext}")
    file = mutagen.File(downloads / done.path, easy=True)
    if tagged:
        assert file is not None and file.tags is not None
        assert file.tags["title"] == ["Never Gonna Give You Up"]
        assert file.tags["artist"] == ["Rick Astley"]
    else:
        assert (downloads / done.path).read_bytes() == make(1.0)
