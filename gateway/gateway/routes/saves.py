"""Library saves: start one, their history, one, its progress as Server-Sent Events, and what
changed between two (docs/api.md "Library saves")."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from tapedeck.library.v1 import library_pb2

from gateway.bodies import JsonBodyRoute
from gateway.cache import of_app
from gateway.deps import BackendsDep, CurrentUser
from gateway.errors import ConflictWith, error_response, response_for
from gateway.kinds import KindName, kind_value
from gateway.library_json import diff_json, save_json
from gateway.openapi import AUTHENTICATED, error_responses, save_event_stream
from gateway.paging import Limit, Offset, page_response
from gateway.schemas import Diff, Save, SavePage
from gateway.streams import ENDED, OpenStreams
from kit import errors

router = APIRouter(tags=["saves"], route_class=JsonBodyRoute)


class SaveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    kinds: list[KindName] | None = Field(
        default=None, min_length=1, description="what to save; every kind when absent"
    )
    full: bool = Field(default=False, description="refetch everything, not only what changed")


@router.post(
    "/api/v1/library/saves",
    status_code=202,
    response_model=Save,
    response_description="the new save, queued",
    responses=error_responses(400, *AUTHENTICATED, 409, 413, 422, 429),
)
async def start_save(
    user: CurrentUser,
    backends: BackendsDep,
    body: Annotated[SaveRequest | None, Body()] = None,
) -> JSONResponse:
    if user.spotify_authorization_lost:
        # A save must call Spotify; what is saved stays readable (docs/api.md "Errors").
        raise errors.SpotifyAuthorizationLost(
            "Spotify no longer accepts your login: log in with Spotify again to save"
        )
    request = body or SaveRequest()
    answer = await backends.library.StartSave(
        library_pb2.StartSaveRequest(
            user_id=user.id,
            kinds=[kind_value(kind) for kind in request.kinds or ()],
            full=request.full,
        )
    )
    if answer.already_running:
        raise ConflictWith(
            "a save is already running for this user", {"save": save_json(answer.save)}
        )
    return JSONResponse(save_json(answer.save), status_code=202)


@router.get(
    "/api/v1/library/saves",
    response_model=SavePage,
    responses=error_responses(*AUTHENTICATED, 422),
)
async def list_saves(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    answer = await backends.library.ListSaves(
        library_pb2.ListSavesRequest(user_id=user.id, offset=offset, limit=limit)
    )
    for save in answer.saves:
        _seen(request, user.id, save)
    items = [json.dumps(save_json(save)) for save in answer.saves]
    return page_response(request, items, answer.total, offset, limit)


@router.get(
    "/api/v1/library/saves/{save_id}",
    response_model=Save,
    responses=error_responses(*AUTHENTICATED, 404),
)
async def get_save(
    request: Request, save_id: str, user: CurrentUser, backends: BackendsDep
) -> JSONResponse:
    answer = await backends.library.GetSave(
        library_pb2.GetSaveRequest(user_id=user.id, save_id=save_id)
    )
    _seen(request, user.id, answer.save)
    return JSONResponse(save_json(answer.save))


def _seen(request: Request, user_id: str, save: library_pb2.Save) -> None:
    """The read cache hears of a save a client sees (gateway.cache): a poll may see a save
    end before the save feed tells it, and a read right after must show it."""
    of_app(request.app.state).latest.seen(user_id, save.id, save.status in ENDED)


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def _error_event(response: JSONResponse) -> str:
    return f"event: error\ndata: {bytes(response.body).decode()}\n\n"


def _stopping() -> JSONResponse:
    """What a stream still open when the gateway begins to shut down ends with, at once: the
    save goes on, and the client follows it again once a gateway answers."""
    return error_response(
        503, "service_unavailable", "the gateway is shutting down; follow the save again shortly"
    )


@router.get(
    "/api/v1/library/saves/{save_id}/events",
    response_class=StreamingResponse,
    response_description="`progress` events, then `done` (or `error`); see docs/api.md",
    responses={
        200: save_event_stream(),
        **error_responses(*AUTHENTICATED, 404, 429),
    },
)
async def save_events(
    request: Request, save_id: str, user: CurrentUser, backends: BackendsDep
) -> StreamingResponse:
    """`progress` events (a save object each, the final state included), then one `done`
    event with the final state. Should the stream be cut before the save has ended (the
    library service went away, or the gateway is shutting down), an `error` event (the error
    body of docs/api.md) ends it instead. A quiet stream carries a `: keep-alive` comment
    every TAPEDECK_SSE_KEEPALIVE_S seconds (clients ignore it). More streams open at once
    than TAPEDECK_MAX_EVENT_STREAMS_PER_USER: 429."""
    settings = request.app.state.settings
    keepalive_s: float = settings.sse_keepalive_s
    streams: OpenStreams = request.app.state.streams
    streams.start(backends.library)
    watch = streams.open(user.id, save_id, settings.max_event_streams_per_user)
    try:
        # The save as it is now; an unknown save is a plain 404.
        answer = await backends.library.GetSave(
            library_pb2.GetSaveRequest(user_id=user.id, save_id=save_id)
        )
    except BaseException:
        streams.close(watch)
        raise
    watch.update(answer.save)

    async def events() -> AsyncIterator[str]:
        sent: library_pb2.Save | None = None
        try:
            while True:
                save = watch.save
                if save is not None and save is not sent:
                    last = save_json(save)
                    yield _event("progress", last)
                    sent = save
                    if watch.ended:
                        yield _event("done", last)
                        return
                if watch.failure is not None:
                    stopping = streams.stopping and isinstance(watch.failure, errors.Unavailable)
                    yield _error_event(_stopping() if stopping else response_for(watch.failure))
                    return
                if not await watch.changed(keepalive_s):
                    yield ": keep-alive\n\n"
        finally:
            streams.close(watch)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/api/v1/library/diff",
    response_model=Diff,
    responses=error_responses(*AUTHENTICATED, 404),
)
async def diff(
    user: CurrentUser,
    backends: BackendsDep,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: str | None = None,
) -> JSONResponse:
    answer = await backends.library.Diff(
        library_pb2.DiffRequest(
            user_id=user.id,
            from_save_id=from_ or "",
            to_save_id=to or "",
        )
    )
    return JSONResponse(diff_json(answer))
