"""Restores: put a save back into Spotify (docs/api.md "Restore and imports"): start one (or
answer its plan, for a dry run), list them, one, its progress as Server-Sent Events, cancel."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from tapedeck.restore.v1 import restore_pb2, restore_pb2_grpc

from gateway.backends import Backends
from gateway.bodies import JsonBodyRoute
from gateway.deps import BackendsDep, CurrentUser
from gateway.errors import ForbiddenWith
from gateway.library_json import _time
from gateway.openapi import AUTHENTICATED, error_responses
from gateway.paging import Limit, Offset, page_response
from gateway.restore_schemas import Restore, RestorePage, restore_event_stream
from kit import errors
from kit.status import error_from_rpc

router = APIRouter(tags=["restores"], route_class=JsonBodyRoute)


class SourceBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    save: str | None = Field(default=None, description="a save's id")
    import_: str | None = Field(default=None, alias="import", description="an import's id")


class RestoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    source: SourceBody | None = Field(default=None, description="the newest save when absent")
    playlists: Literal["all"] | list[str] | None = Field(
        default=None, description='"all", or the source playlists\' ids'
    )
    liked: bool = False
    albums: bool = False
    artists: bool = False
    mode: Literal["new", "replace"] = "new"
    dry_run: bool = False


def restore_json(restore: restore_pb2.Restore) -> dict[str, Any]:
    source = (
        {"import": restore.source_import}
        if restore.source_import
        else {"save": restore.source_save or None}
    )
    return {
        "id": restore.id,
        "status": restore.status,
        "dry_run": restore.dry_run,
        "mode": restore.mode,
        "source": source,
        "created_at": _time(restore, "created_at"),
        "started_at": _time(restore, "started_at"),
        "finished_at": _time(restore, "finished_at"),
        "plan": json.loads(restore.plan_json) if restore.plan_json else None,
        "progress": {"done": restore.done, "total": restore.total},
        "spotify_requests": restore.spotify_requests,
        "error": {"code": restore.error_code, "message": restore.error_message}
        if restore.error_code
        else None,
    }


def _stub(backends: Backends) -> restore_pb2_grpc.RestoreServiceStub:
    stub: restore_pb2_grpc.RestoreServiceStub = backends.restore
    return stub


@router.post(
    "/api/v1/restores",
    status_code=202,
    response_model=Restore,
    response_description="the restore, queued",
    responses={
        200: {"model": Restore, "description": "a dry run: its plan, nothing written"},
        **error_responses(400, *AUTHENTICATED, 403, 404, 413, 422),
    },
)
async def start_restore(
    user: CurrentUser,
    backends: BackendsDep,
    body: Annotated[RestoreRequest, Body()],
) -> JSONResponse:
    if user.spotify_authorization_lost and not body.dry_run:
        raise errors.SpotifyAuthorizationLost(
            "Spotify no longer accepts your login: log in with Spotify again to restore"
        )
    source = body.source or SourceBody()
    if source.save and source.import_:
        raise errors.InvalidArgument("source: a save or an import, not both")
    try:
        answer = await _start(backends, user.id, source, body)
    except grpc.aio.AioRpcError as failed:
        error = error_from_rpc(failed)
        if error.code != "scope_required":
            raise
        # The second consent: a login that asks for the write scopes, back to the app.
        raise ForbiddenWith(
            error.message, {"login_url": "/auth/login?scope=restore&return_to=/"}, code=error.code
        ) from None
    return JSONResponse(restore_json(answer.restore), status_code=200 if body.dry_run else 202)


async def _start(
    backends: Backends, user_id: str, source: SourceBody, body: RestoreRequest
) -> restore_pb2.StartRestoreResponse:
    playlists = body.playlists
    answer: restore_pb2.StartRestoreResponse = await _stub(backends).StartRestore(
        restore_pb2.StartRestoreRequest(
            user_id=user_id,
            source_save=source.save or "",
            source_import=source.import_ or "",
            selection=restore_pb2.Selection(
                all_playlists=playlists == "all",
                playlists=[] if playlists is None or playlists == "all" else playlists,
                liked=body.liked,
                albums=body.albums,
                artists=body.artists,
            ),
            mode=body.mode,
            dry_run=body.dry_run,
        )
    )
    return answer


@router.get(
    "/api/v1/restores", response_model=RestorePage, responses=error_responses(*AUTHENTICATED, 422)
)
async def list_restores(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    answer = await _stub(backends).ListRestores(
        restore_pb2.ListRestoresRequest(user_id=user.id, offset=offset, limit=limit)
    )
    items = [json.dumps(restore_json(r)) for r in answer.restores]
    return page_response(request, items, answer.total, offset, limit)


@router.get(
    "/api/v1/restores/{restore_id}",
    response_model=Restore,
    responses=error_responses(*AUTHENTICATED, 404),
)
async def get_restore(restore_id: str, user: CurrentUser, backends: BackendsDep) -> JSONResponse:
    answer = await _stub(backends).GetRestore(
        restore_pb2.GetRestoreRequest(user_id=user.id, restore_id=restore_id)
    )
    return JSONResponse(restore_json(answer.restore))


@router.delete(
    "/api/v1/restores/{restore_id}",
    status_code=204,
    responses=error_responses(*AUTHENTICATED, 404),
)
async def cancel_restore(restore_id: str, user: CurrentUser, backends: BackendsDep) -> Response:
    await _stub(backends).CancelRestore(
        restore_pb2.CancelRestoreRequest(user_id=user.id, restore_id=restore_id)
    )
    return Response(status_code=204)


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


@router.get(
    "/api/v1/restores/{restore_id}/events",
    response_class=StreamingResponse,
    response_description="`progress` events (a restore object each), then `done`",
    responses={200: restore_event_stream(), **error_responses(*AUTHENTICATED, 404)},
)
async def restore_events(
    restore_id: str, user: CurrentUser, backends: BackendsDep
) -> StreamingResponse:
    stub = _stub(backends)
    # An unknown restore is a plain 404, before the stream starts.
    await stub.GetRestore(restore_pb2.GetRestoreRequest(user_id=user.id, restore_id=restore_id))
    call = stub.WatchRestore(
        restore_pb2.WatchRestoreRequest(user_id=user.id, restore_id=restore_id), timeout=None
    )

    async def events() -> AsyncIterator[str]:
        last: dict[str, Any] | None = None
        try:
            async for answer in call:
                last = restore_json(answer.restore)
                yield _event("progress", last)
            if last is not None:
                yield _event("done", last)
        except grpc.aio.AioRpcError as failed:
            error = error_from_rpc(failed)
            yield _event(
                "error", {"error": {"status": 503, "code": error.code, "message": error.message}}
            )
        finally:
            call.cancel()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
