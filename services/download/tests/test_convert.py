"""Conversion with ffmpeg (TAPEDECK_DOWNLOAD_FORMAT mp3/m4a at TAPEDECK_DOWNLOAD_QUALITY_KBPS):
a real worker, wired from the service's settings as `python -m download` wires it, has real
yt-dlp download a WAV from the local audio server and ffmpeg convert it (yt-dlp's
FFmpegExtractAudio); mutagen tags it and it is placed. The file is read back with mutagen
as a player would: its format, bit rate, length and tags. And without ffmpeg a conversion
asked for keeps the native file: the service never needs ffmpeg to run."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import mutagen
import pytest
from mutagen.id3 import ID3
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from teststack.audio import AudioServer

from download.files import PARTIAL
from download.jobs import ENDED, Job, JobStatus, NewJob, TrackInfo
from download.settings import DownloadSettings
from download.store import JobStore
from download.tags import URI_KEY
from download.wiring import MIGRATIONS
from download.worker import Workers, WorkerSettings
from download.worker_wiring import worker_settings
from kit.database import Database, open_database
from teststack import audio_formats

SECONDS = 3.0
COVER = audio_formats.png()
TRACK = TrackInfo(
    id="2takcwOaAZWiXQijPHIx7B",
    name="Time to Pretend",
    artists=("MGMT",),
    album="Oracular Spectacular",
    album_artists=("MGMT",),
    track_number=2,
    disc_number=1,
    release_date="2007-10-02",
    isrc="USSM10704781",
    duration_ms=int(SECONDS * 1000),
    uri="spotify:track:2takcwOaAZWiXQijPHIx7B",
)
PLACED = "u1/MGMT/Oracular Spectacular/02 - Time to Pretend"


@pytest.fixture
def db(sqlite_database_url: str) -> Iterator[Database]:
    """Conversion does not depend on the database (the claiming is tested on both)."""
    database = open_database(sqlite_database_url, MIGRATIONS)
    yield database
    database.dispose()


@pytest.fixture
def audio() -> Iterator[AudioServer]:
    """A 44.1 kHz mono WAV of SECONDS, at every path."""
    server = AudioServer(audio_formats.wav(SECONDS)).start()
    yield server
    server.stop()


@pytest.fixture
def cover() -> Iterator[AudioServer]:
    """The album's cover (a PNG), from a server of its own."""
    server = AudioServer(COVER, content_type="image/png").start()
    yield server
    server.stop()


def settings_for(tmp_path: Path, audio: AudioServer, fmt: str, kbps: int) -> WorkerSettings:
    """The workers' settings as the service builds them (ffmpeg found on PATH), quicker."""
    service = DownloadSettings(
        data_dir=tmp_path / "var",
        downloads_dir=tmp_path / "downloads",
        download_url_template=audio.url + "/{track_id}.wav",
        download_format=fmt,
        download_quality_kbps=kbps,
    )
    return replace(worker_settings(service), concurrency=1, poll_s=0.05, heartbeat_s=0.5)


def run_one(db: Database, settings: WorkerSettings, cover: AudioServer) -> Job:
    """Queues TRACK (its cover at `cover`) and runs the workers until the job has ended."""
    store = JobStore(db)
    track = replace(TRACK, image_url=f"{cover.url}/cover.png")
    [job] = store.add("u1", [NewJob(track, "url")], datetime.now(UTC))
    workers = Workers(store, settings).start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = store.get("u1", job.id)
            if found is not None and found.status in ENDED:
                return found
            time.sleep(0.02)
    finally:
        workers.stop()
    raise AssertionError(f"job {job.id} did not end within 30 s")


def library_files(downloads: Path) -> list[Path]:
    return sorted(
        p
        for p in downloads.rglob("*")
        if p.is_file() and PARTIAL not in p.relative_to(downloads).parts
    )


def read_mp3(path: Path) -> tuple[str, dict[str, object]]:
    audio = MP3(path)
    tags = audio.tags
    assert isinstance(tags, ID3)
    return "mp3", {
        "title": str(tags["TIT2"]),
        "artist": str(tags["TPE1"]),
        "album": str(tags["TALB"]),
        "track": str(tags["TRCK"]),
        "isrc": str(tags["TSRC"]),
        "uri": str(tags[f"TXXX:{URI_KEY}"]),
        "cover": tags.getall("APIC")[0].data,
    }


def read_m4a(path: Path) -> tuple[str, dict[str, object]]:
    audio = MP4(path)
    tags = audio.tags
    assert tags is not None
    return audio.info.codec, {
        "title": tags["\xa9nam"][0],
        "artist": tags["\xa9ART"][0],
        "album": tags["\xa9alb"][0],
        "track": f"{tags['trkn'][0][0]}",
        "isrc": bytes(tags["----:com.apple.iTunes:ISRC"][0]).decode(),
        "uri": bytes(tags[f"----:com.apple.iTunes:{URI_KEY}"][0]).decode(),
        "cover": bytes(tags["covr"][0]),
    }


READERS = {"mp3": read_mp3, "m4a": read_m4a}
# What mutagen calls each format's codec (AAC-LC in an MP4 container for m4a).
CODECS = {"mp3": "mp3", "m4a": "mp4a.40.2"}


@pytest.mark.parametrize(("fmt", "kbps"), [("mp3", 96), ("mp3", 192), ("m4a", 128)])
def test_a_wav_is_converted_at_the_chosen_quality_tagged_and_placed(
    ffmpeg: str,
    db: Database,
    audio: AudioServer,
    cover: AudioServer,
    tmp_path: Path,
    fmt: str,
    kbps: int,
) -> None:
    settings = settings_for(tmp_path, audio, fmt, kbps)
    assert settings.fetch.ffmpeg == ffmpeg
    done = run_one(db, settings, cover)
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert (done.path, done.format) == (f"{PLACED}.{fmt}", fmt)
    downloads = tmp_path / "downloads"
    file = downloads / done.path
    # Only the converted file is left: no WAV beside it, nothing in the temporary folder.
    assert library_files(downloads) == [file]
    assert not list((downloads / PARTIAL).iterdir())
    assert done.bytes == file.stat().st_size
    assert done.checksum == hashlib.sha256(file.read_bytes()).hexdigest()
    # A player sees the format asked for, at the quality asked for, as long as the source.
    read = mutagen.File(file)
    assert read is not None
    assert abs(read.info.length - SECONDS) < 0.2, read.info.length
    assert abs(read.info.bitrate - kbps * 1000) <= kbps * 1000 * 0.1, read.info.bitrate
    codec, tags = READERS[fmt](file)
    assert codec == CODECS[fmt]
    assert tags == {
        "title": "Time to Pretend",
        "artist": "MGMT",
        "album": "Oracular Spectacular",
        "track": "2",
        "isrc": "USSM10704781",
        "uri": "spotify:track:2takcwOaAZWiXQijPHIx7B",
        "cover": COVER,
    }


def test_without_ffmpeg_a_conversion_asked_for_keeps_the_native_file(
    db: Database, audio: AudioServer, cover: AudioServer, tmp_path: Path
) -> None:
    """The service runs where ffmpeg is absent (`make run` does not need it): mp3 asked,
    the WAV as served is kept, tagged."""
    settings = settings_for(tmp_path, audio, "mp3", 192)
    settings = replace(settings, fetch=replace(settings.fetch, ffmpeg=None))
    done = run_one(db, settings, cover)
    assert done.status == JobStatus.SUCCEEDED, done.error
    assert (done.path, done.format) == (f"{PLACED}.wav", "wav")
    read = mutagen.File(tmp_path / "downloads" / done.path)
    assert read is not None and read.tags is not None
    assert str(read.tags["TIT2"]) == "Time to Pretend"
    assert abs(read.info.length - SECONDS) < 0.01
