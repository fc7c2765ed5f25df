"""Download jobs: what a job is, and the rules of queueing, reading and cancelling them.
No SQL, no gRPC, no yt-dlp here: the store, the servicer and the worker do those."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from download.downloads import checked_path
from kit.errors import FailedPrecondition, InvalidArgument, NotFound

# Track ids one Enqueue may name; a playlist or the Liked Songs may hold more.
MAX_TRACK_IDS = 1000
SOURCES = ("youtube", "soundcloud", "url")
_TRACK_ID = re.compile(r"(?:spotify:track:)?([0-9A-Za-z]{1,64})")
_SPOTIFY_ID = re.compile(r"[0-9A-Za-z]{1,64}")
# Job ids are minted here: 32 hex digits.
_JOB_ID = re.compile(r"[0-9a-f]{32}")


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


# A track with a job in one of these is not queued again (its job is answered instead).
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.SUCCEEDED)
ENDED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


@dataclass(frozen=True)
class TrackInfo:
    """What a job needs to know of its track: to find it, name its file and tag it. Kept
    with the job, so a worker never asks another service."""

    id: str
    name: str
    artists: tuple[str, ...]
    album: str = ""
    album_artists: tuple[str, ...] = ()
    track_number: int = 0
    disc_number: int = 0
    release_date: str = ""
    isrc: str | None = None
    duration_ms: int = 0
    uri: str = ""
    image_url: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> TrackInfo:
        data = json.loads(text)
        data["artists"] = tuple(data.get("artists") or ())
        data["album_artists"] = tuple(data.get("album_artists") or ())
        return cls(**data)

    @classmethod
    def from_spotify(cls, obj: dict[str, Any]) -> TrackInfo | None:
        """From a Spotify track object, or a saved-track / playlist item wrapping one (under
        `track`, or `item` since 2026). None for what cannot be downloaded: a local file, an
        episode, a removed track."""
        wrapped = obj.get("item") or obj.get("track")
        inner = wrapped if isinstance(wrapped, dict) else obj
        if not isinstance(inner, dict) or inner.get("type", "track") != "track":
            return None
        if inner.get("is_local") or not inner.get("id") or not inner.get("name"):
            return None
        album = inner.get("album") or {}
        images = album.get("images") or []
        # Spotify lists the largest image first.
        image = images[0].get("url") if images and isinstance(images[0], dict) else None
        return cls(
            id=str(inner["id"]),
            name=str(inner["name"]),
            artists=tuple(a.get("name", "") for a in inner.get("artists") or () if a.get("name")),
            album=str(album.get("name") or ""),
            album_artists=tuple(
                a.get("name", "") for a in album.get("artists") or () if a.get("name")
            ),
            track_number=int(inner.get("track_number") or 0),
            disc_number=int(inner.get("disc_number") or 0),
            release_date=str(album.get("release_date") or ""),
            isrc=(inner.get("external_ids") or {}).get("isrc") or None,
            duration_ms=int(inner.get("duration_ms") or 0),
            uri=str(inner.get("uri") or f"spotify:track:{inner['id']}"),
            image_url=image,
        )


@dataclass(frozen=True)
class MatchInfo:
    """The candidate a job downloaded."""

    title: str
    uploader: str
    duration_s: float
    score: float


@dataclass(frozen=True)
class Job:
    id: str
    user_id: str
    track: TrackInfo
    status: JobStatus
    source: str
    created_at: datetime
    progress: float = 0.0
    attempts: int = 0
    error: str = ""
    source_url: str = ""
    match: MatchInfo | None = None
    # Relative to the downloads folder, `/` between folders; empty until it succeeded.
    path: str = ""
    format: str = ""
    bytes: int = 0
    checksum: str = ""
    finished_at: datetime | None = None
    cancel_requested: bool = False
    # The worker that claimed its latest attempt.
    worker: str = ""

    @property
    def track_id(self) -> str:
        return self.track.id

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.path).name if self.path else ""


@dataclass(frozen=True)
class Done:
    """A succeeded attempt's file."""

    path: str
    format: str
    bytes: int
    checksum: str
    duration_ms: int
    source_url: str
    match: MatchInfo | None


@dataclass(frozen=True)
class NewJob:
    track: TrackInfo
    source: str


@dataclass(frozen=True)
class Page:
    jobs: list[Job]
    total: int


class JobRepository(Protocol):
    def add(self, user_id: str, new: Sequence[NewJob], now: datetime) -> list[Job]:
        """A job per track, in order: the track's active job when it has one, else a new
        queued one. Atomic against concurrent adds of the same track."""
        ...

    def requeue(self, user_id: str, job_id: str, now: datetime) -> Job:
        """A succeeded job whose file is gone, queued again."""
        ...

    def page(self, user_id: str, status: JobStatus | None, offset: int, limit: int) -> Page: ...

    def get(self, user_id: str, job_id: str) -> Job | None: ...

    def cancel(self, user_id: str, job_id: str, now: datetime) -> Job | None:
        """A queued job ends cancelled at once; a running one is asked to stop (its worker
        ends it cancelled). Answers the job as it now is."""
        ...

    def remove(self, user_id: str, job_id: str) -> None:
        """Forgets an ended job (and the finished download it recorded)."""
        ...


class TrackSource(Protocol):
    """The user's saved tracks, from the newest save (the library service)."""

    def tracks(self, user_id: str, track_ids: Sequence[str]) -> list[TrackInfo]: ...

    def playlist_tracks(self, user_id: str, playlist_id: str) -> list[TrackInfo]: ...

    def liked_tracks(self, user_id: str) -> list[TrackInfo]: ...


@dataclass(frozen=True)
class Order:
    """What to queue: exactly one of track ids, a playlist, or the Liked Songs."""

    track_ids: Sequence[str] = ()
    playlist_id: str = ""
    liked: bool = False
    source: str = ""


def track_id_of(value: str) -> str:
    """A Spotify track id from an id or a `spotify:track:` URI."""
    found = _TRACK_ID.fullmatch(value.strip())
    if not found:
        raise NotFound(f"no such track: {value[:80]!r}")
    return found.group(1)


@dataclass
class Jobs:
    store: JobRepository
    tracks: TrackSource
    downloads_folder: Path
    default_source: str = "youtube"
    # Sources that cannot run here (the url source without TAPEDECK_DOWNLOAD_URL_TEMPLATE).
    unavailable: dict[str, str] = field(default_factory=dict)

    def enqueue(self, user_id: str, order: Order, now: datetime) -> list[Job]:
        if not user_id:
            raise InvalidArgument("user_id is required")
        source = order.source or self.default_source
        if source not in SOURCES:
            raise InvalidArgument(f"source must be one of {', '.join(SOURCES)}")
        if source in self.unavailable:
            raise InvalidArgument(self.unavailable[source])
        asked = sum((bool(order.track_ids), bool(order.playlist_id), order.liked))
        if asked != 1:
            raise InvalidArgument("give exactly one of tracks, playlist_id or liked")
        if order.track_ids:
            if len(order.track_ids) > MAX_TRACK_IDS:
                raise InvalidArgument(f"at most {MAX_TRACK_IDS} tracks at a time")
            ids = list(dict.fromkeys(track_id_of(t) for t in order.track_ids))
            found = self.tracks.tracks(user_id, ids)
        elif order.playlist_id:
            if not _SPOTIFY_ID.fullmatch(order.playlist_id):
                raise NotFound("no such playlist")
            found = self.tracks.playlist_tracks(user_id, order.playlist_id)
        else:
            found = self.tracks.liked_tracks(user_id)
        unique = list({t.id: t for t in found}.values())
        jobs = self.store.add(user_id, [NewJob(t, source) for t in unique], now)
        # A finished job whose file was deleted from disk is downloaded again.
        return [self.store.requeue(user_id, j.id, now) if self._file_gone(j) else j for j in jobs]

    def _file_gone(self, job: Job) -> bool:
        return job.status == JobStatus.SUCCEEDED and not self.file_of(job).is_file()

    def file_of(self, job: Job) -> Path:
        # Paths are made safe when written; checked again before any file is read or removed.
        return self.downloads_folder / checked_path(job.path)

    def page(self, user_id: str, status: JobStatus | None, offset: int, limit: int) -> Page:
        if not user_id:
            raise InvalidArgument("user_id is required")
        if offset < 0 or not 1 <= limit <= 100:
            raise InvalidArgument("offset must be >= 0 and limit 1-100")
        return self.store.page(user_id, status, offset, limit)

    def get(self, user_id: str, job_id: str) -> Job:
        valid = user_id and _JOB_ID.fullmatch(job_id)
        job = self.store.get(user_id, job_id) if valid else None
        if job is None:
            raise NotFound("no such download")
        return job

    def delete(self, user_id: str, job_id: str, now: datetime) -> None:
        """Cancels a queued or running job; removes an ended one, and its file."""
        job = self.get(user_id, job_id)
        if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
            if self.store.cancel(user_id, job_id, now) is None:
                raise NotFound("no such download")
            return
        if job.path:
            self.file_of(job).unlink(missing_ok=True)
        self.store.remove(user_id, job_id)

    def finished_file(self, user_id: str, job_id: str) -> tuple[Job, Path]:
        job = self.get(user_id, job_id)
        if job.status != JobStatus.SUCCEEDED:
            raise FailedPrecondition(f"the download is {job.status.value}, not succeeded")
        path = self.file_of(job)
        if not path.is_file():
            raise NotFound("the downloaded file is gone; queue the track again to download it")
        return job, path
