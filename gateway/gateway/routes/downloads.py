"""Downloads: queue a user's saved tracks for download, follow the jobs, fetch the files
(docs/api.md "Downloads"). The download service does the work; a job's file is streamed
from it in chunks."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Literal

import grpc
from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from grpc.aio import EOF  # type: ignore[attr-defined]
from pydantic import BaseModel, ConfigDict, Field
from tapedeck.download.v1 import download_pb2

from gateway.bodies import JsonBodyRoute
from gateway.deps import BackendsDep, CurrentUser
from gateway.download_json import job_json, media_type, status_value
from gateway.exports.names import content_disposition
from gateway.openapi import AUTHENTICATED, error_responses
from gateway.paging import Limit, Offset, page_response
from gateway.schemas import Page
from kit import errors
from kit.status import error_from_rpc

router = APIRouter(tags=["downloads"], route_class=JsonBodyRoute)

Status = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class DownloadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    tracks: list[str] | None = Field(
        default=None, max_length=1000, description="Spotify track ids or URIs"
    )
    playlist_id: str | None = Field(default=None, description="every track of this playlist")
    liked: bool | None = Field(default=None, description="every Liked Song")
    source: Literal["youtube", "soundcloud", "url"] | None = Field(
        default=None, description="where to look; the service's default when absent"
    )


class DownloadMatch(BaseModel):
    title: str
    uploader: str
    duration_s: float
    score: float


class DownloadJob(BaseModel):
    """A download job (docs/api.md "Downloads")."""

    id: str
    track_id: str
    status: Status
    progress: float = Field(description="0.0-1.0")
    source_url: str | None
    file_name: str | None = Field(description="the file's name once succeeded")
    format: str | None
    bytes: int
    error: str | None = Field(description="why it failed (or waits), in words to act on")
    created_at: datetime | None
    finished_at: datetime | None
    match: DownloadMatch | None


class DownloadJobs(BaseModel):
    items: list[DownloadJob]


class DownloadJobPage(Page):
    items: list[DownloadJob]


@router.post(
    "/api/v1/downloads",
    status_code=202,
    response_model=DownloadJobs,
    response_description="a job per track: new ones queued, a track's existing job as it is",
    responses=error_responses(400, *AUTHENTICATED, 404, 413, 422),
)
async def enqueue(
    user: CurrentUser, backends: BackendsDep, body: Annotated[DownloadRequest, Body()]
) -> JSONResponse:
    answer = await backends.download.Enqueue(
        download_pb2.EnqueueRequest(
            user_id=user.id,
            track_ids=body.tracks or [],
            playlist_id=body.playlist_id or "",
            liked=bool(body.liked),
            source=body.source or "",
        )
    )
    return JSONResponse({"items": [job_json(j) for j in answer.jobs]}, status_code=202)


@router.get(
    "/api/v1/downloads",
    response_model=DownloadJobPage,
    responses=error_responses(*AUTHENTICATED, 422),
)
async def list_downloads(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    status: Annotated[Status | None, Query(description="only jobs in this status")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    answer = await backends.download.ListJobs(
        download_pb2.ListJobsRequest(
            user_id=user.id,
            status=status_value(status) if status else download_pb2.JOB_STATUS_UNSPECIFIED,
            offset=offset,
            limit=limit,
        )
    )
    items = [json.dumps(job_json(j)) for j in answer.jobs]
    return page_response(request, items, answer.total, offset, limit)


@router.get(
    "/api/v1/downloads/{job_id}",
    response_model=DownloadJob,
    responses=error_responses(*AUTHENTICATED, 404),
)
async def get_download(job_id: str, user: CurrentUser, backends: BackendsDep) -> JSONResponse:
    answer = await backends.download.GetJob(
        download_pb2.GetJobRequest(user_id=user.id, job_id=job_id)
    )
    return JSONResponse(job_json(answer.job))


@router.delete(
    "/api/v1/downloads/{job_id}",
    status_code=204,
    responses=error_responses(*AUTHENTICATED, 404),
)
async def delete_download(job_id: str, user: CurrentUser, backends: BackendsDep) -> Response:
    """Cancels a queued or running job (a running one stops, its temporary file removed), or
    removes a finished one and its file."""
    await backends.download.DeleteJob(download_pb2.DeleteJobRequest(user_id=user.id, job_id=job_id))
    return Response(status_code=204)


@router.get(
    "/api/v1/downloads/{job_id}/file",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"audio/*": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the audio file, its Content-Type by format",
            "headers": {
                "Content-Disposition": {
                    "description": "attachment, with the file's safe name (RFC 6266)",
                    "schema": {"type": "string"},
                }
            },
        },
        **error_responses(
            *AUTHENTICATED,
            404,
            409,
            beside="audio/*",
            meanings={409: "conflict: the job has not succeeded (yet); no file to send"},
        ),
    },
)
async def download_file(job_id: str, user: CurrentUser, backends: BackendsDep) -> Response:
    """The job's file: 409 while the job has not succeeded. The first chunk is read before
    the answer starts, so an error is a status, not a cut-off file."""
    call = backends.download.ReadFile(download_pb2.ReadFileRequest(user_id=user.id, job_id=job_id))
    first = await call.read()
    if first is EOF:
        raise errors.Unavailable("the download service ended the file without a word")
    assert isinstance(first, download_pb2.ReadFileResponse)

    async def body() -> AsyncIterator[bytes]:
        yield first.chunk
        while True:
            try:
                message = await call.read()
            except grpc.RpcError as exc:
                # Headers are sent: all that is left is to cut the body short.
                raise error_from_rpc(exc) from None
            if message is EOF:
                return
            assert isinstance(message, download_pb2.ReadFileResponse)
            yield message.chunk

    headers = {
        "Content-Disposition": content_disposition(first.file_name),
        "Content-Length": str(first.size),
    }
    return StreamingResponse(body(), media_type=media_type(first.format), headers=headers)
