"""gRPC in, logic, gRPC out."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, cast

from google.protobuf.timestamp_pb2 import Timestamp
from tapedeck.download.v1 import download_pb2, download_pb2_grpc

from download.downloads import Downloads
from download.jobs import Job, Jobs, JobStatus, Order

# A finished file is streamed in pieces of this size: well under gRPC's message limit.
CHUNK_BYTES = 256 * 1024


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def _status_value(status: JobStatus) -> download_pb2.JobStatus:
    return cast(
        "download_pb2.JobStatus", download_pb2.JobStatus.Value("JOB_STATUS_" + status.upper())
    )


def _status(value: int) -> JobStatus | None:
    if value == download_pb2.JOB_STATUS_UNSPECIFIED or value not in download_pb2.JobStatus.values():
        return None
    return JobStatus(download_pb2.JobStatus.Name(value).removeprefix("JOB_STATUS_").lower())


def job_message(job: Job) -> download_pb2.Job:
    message = download_pb2.Job(
        id=job.id,
        track_id=job.track_id,
        status=_status_value(job.status),
        progress=job.progress,
        source_url=job.source_url,
        file_name=job.file_name,
        format=job.format,
        bytes=job.bytes,
        error=job.error,
        created_at=_timestamp(job.created_at),
        finished_at=_timestamp(job.finished_at),
        source=job.source,
        attempts=job.attempts,
        checksum=job.checksum,
    )
    if job.match is not None:
        message.match.CopyFrom(
            download_pb2.Match(
                title=job.match.title,
                uploader=job.match.uploader,
                duration_s=job.match.duration_s,
                score=job.match.score,
            )
        )
    return message


class DownloadServicer(download_pb2_grpc.DownloadServiceServicer):
    def __init__(
        self,
        downloads: Downloads,
        downloads_dir: str,
        jobs: Jobs,
        queued: Callable[[], None] = lambda: None,
    ) -> None:
        """`queued`: told when jobs were queued (wakes this process's workers)."""
        self._downloads = downloads
        self._downloads_dir = downloads_dir
        self._jobs = jobs
        self._queued = queued

    def ListDownloaded(
        self, request: download_pb2.ListDownloadedRequest, context: Any
    ) -> download_pb2.ListDownloadedResponse:
        files = self._downloads.downloaded(request.user_id, list(request.track_ids))
        return download_pb2.ListDownloadedResponse(
            files=[
                download_pb2.DownloadedFile(
                    track_id=f.track_id, path=f.path, format=f.format, duration_ms=f.duration_ms
                )
                for f in files
            ],
            downloads_dir=self._downloads_dir,
        )

    def Enqueue(
        self, request: download_pb2.EnqueueRequest, context: Any
    ) -> download_pb2.EnqueueResponse:
        order = Order(
            track_ids=list(request.track_ids),
            playlist_id=request.playlist_id,
            liked=request.liked,
            source=request.source,
        )
        jobs = self._jobs.enqueue(request.user_id, order, datetime.now(UTC))
        if any(j.status == JobStatus.QUEUED for j in jobs):
            self._queued()
        return download_pb2.EnqueueResponse(jobs=[job_message(j) for j in jobs])

    def ListJobs(
        self, request: download_pb2.ListJobsRequest, context: Any
    ) -> download_pb2.ListJobsResponse:
        page = self._jobs.page(
            request.user_id, _status(request.status), request.offset, request.limit or 50
        )
        return download_pb2.ListJobsResponse(
            jobs=[job_message(j) for j in page.jobs], total=page.total
        )

    def GetJob(
        self, request: download_pb2.GetJobRequest, context: Any
    ) -> download_pb2.GetJobResponse:
        return download_pb2.GetJobResponse(
            job=job_message(self._jobs.get(request.user_id, request.job_id))
        )

    def DeleteJob(
        self, request: download_pb2.DeleteJobRequest, context: Any
    ) -> download_pb2.DeleteJobResponse:
        self._jobs.delete(request.user_id, request.job_id, datetime.now(UTC))
        return download_pb2.DeleteJobResponse()

    def ReadFile(
        self, request: download_pb2.ReadFileRequest, context: Any
    ) -> Iterator[download_pb2.ReadFileResponse]:
        job, path = self._jobs.finished_file(request.user_id, request.job_id)
        with path.open("rb") as f:
            size = path.stat().st_size
            first = f.read(CHUNK_BYTES)
            yield download_pb2.ReadFileResponse(
                file_name=job.file_name, format=job.format, size=size, chunk=first
            )
            while chunk := f.read(CHUNK_BYTES):
                yield download_pb2.ReadFileResponse(chunk=chunk)
