"""The JSON of docs/api.md "Downloads" for the download service's messages, and what a
downloaded file is served as."""

from __future__ import annotations

from datetime import UTC
from typing import Any, cast

from google.protobuf.timestamp_pb2 import Timestamp
from tapedeck.download.v1 import download_pb2

# Content-Type by the file's format (its extension); anything else is served as bytes.
MEDIA_TYPES = {
    "m4a": "audio/mp4",
    "mp4": "audio/mp4",
    "aac": "audio/aac",
    "mp3": "audio/mpeg",
    "opus": "audio/ogg",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "webm": "audio/webm",
    "flac": "audio/flac",
    "wav": "audio/wav",
    "aiff": "audio/aiff",
}
STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")


def media_type(format: str) -> str:
    return MEDIA_TYPES.get(format.lower(), "application/octet-stream")


def status_name(value: int) -> str:
    return download_pb2.JobStatus.Name(value).removeprefix("JOB_STATUS_").lower()


def status_value(name: str) -> download_pb2.JobStatus:
    return cast(
        "download_pb2.JobStatus", download_pb2.JobStatus.Value("JOB_STATUS_" + name.upper())
    )


def _time(message: Any, name: str) -> str | None:
    if not message.HasField(name):
        return None
    ts: Timestamp = getattr(message, name)
    return ts.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def job_json(job: download_pb2.Job) -> dict[str, Any]:
    match = None
    if job.HasField("match"):
        match = {
            "title": job.match.title,
            "uploader": job.match.uploader,
            "duration_s": job.match.duration_s,
            "score": job.match.score,
        }
    return {
        "id": job.id,
        "track_id": job.track_id,
        "status": status_name(job.status),
        "progress": round(job.progress, 4),
        "source_url": job.source_url or None,
        "file_name": job.file_name or None,
        "format": job.format or None,
        "bytes": job.bytes,
        "error": job.error or None,
        "created_at": _time(job, "created_at"),
        "finished_at": _time(job, "finished_at"),
        "match": match,
    }
