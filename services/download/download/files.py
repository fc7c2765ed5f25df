"""A downloaded file's last steps: tagged and checksummed in its temporary folder, then
renamed into the downloads folder in one step, so the library never holds half a file.

Every job has a temporary folder of its own under `<downloads>/.partial/` (the same file
system, so the final rename is atomic); a worker that dies leaves it behind, and whoever
runs the job next clears it first."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from download.jobs import Job, TrackInfo
from download.paths import file_path, safe_name
from download.tags import Tags, UntaggableFormat, write_tags

log = logging.getLogger(__name__)

PARTIAL = ".partial"
# The largest cover image taken: album art is tens to hundreds of KB.
MAX_COVER_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Placed:
    # Relative to the downloads folder, `/` between folders.
    path: str
    format: str
    bytes: int
    checksum: str


def temporary_folder(downloads: Path, job_id: str) -> Path:
    """The job's own empty temporary folder (what an earlier, dead attempt left is cleared)."""
    folder = downloads / PARTIAL / job_id
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def clear_temporary(downloads: Path, job_id: str) -> None:
    shutil.rmtree(downloads / PARTIAL / job_id, ignore_errors=True)


def fetch_cover(url: str | None, timeout_s: float) -> bytes | None:
    """The album image's bytes when the stored URL is reachable; None otherwise (a file
    without a cover beats no file)."""
    if not url or not url.startswith(("http://", "https://")):
        return None
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as answer:
            data: bytes = answer.read(MAX_COVER_BYTES + 1)
    except (OSError, ValueError) as exc:
        log.info("cover not fetched", extra={"error": type(exc).__name__})
        return None
    return data if 0 < len(data) <= MAX_COVER_BYTES else None


def tags_of(track: TrackInfo, cover: bytes | None) -> Tags:
    return Tags(
        title=track.name,
        artists=list(track.artists),
        album=track.album,
        album_artist=", ".join(track.album_artists),
        track_number=track.track_number or None,
        disc_number=track.disc_number or None,
        date=track.release_date,
        isrc=track.isrc or "",
        spotify_uri=track.uri,
        cover_art=cover,
    )


def place(file: Path, job: Job, downloads: Path, template: str, cover: bytes | None) -> Placed:
    """Tags `file` (in the job's temporary folder), then renames it to its place under
    the user's folder of `downloads`, replacing an older file of the same name."""
    ext = file.suffix.lstrip(".").lower() or "bin"
    try:
        write_tags(file, tags_of(job.track, cover))
    except UntaggableFormat as exc:
        # Kept untagged rather than lost: WebM cannot hold tags (without ffmpeg to remux).
        log.warning("file left untagged", extra={"job": job.id, "reason": str(exc)})
    checksum, size = _sha256(file)
    relative = f"{safe_name(job.user_id)}/{file_path(_fields(job.track), ext, template)}"
    final = downloads / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(file, final)
    return Placed(relative, ext, size, checksum)


def _fields(track: TrackInfo) -> dict[str, object]:
    return {
        "title": track.name,
        "artists": list(track.artists),
        "album": track.album,
        "album artist": track.album_artists[0] if track.album_artists else "",
        "track number": track.track_number or None,
        "disc number": track.disc_number or None,
        "date": track.release_date,
        "isrc": track.isrc or "",
        "track id": track.id,
    }


def _sha256(file: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with file.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size
