"""History: the ledger of every change, from the stored saves alone (docs/api.md "History").
The library answers each event and cumulative entry as JSON, spliced in as it comes. Not
cached: a page of history changes whenever a save completes."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BeforeValidator
from tapedeck.library.v1 import library_pb2

from gateway import ids
from gateway.bodies import JsonBodyRoute
from gateway.deps import CurrentUser, backends_of
from gateway.exports import cumulative, names
from gateway.history_schemas import CumulativePage, EventPage, EventType
from gateway.kinds import KindName, kind_value
from gateway.openapi import AUTHENTICATED, error_responses
from gateway.paging import Limit, Offset, page_response
from gateway.routes.exports import CSV, file_response, file_responses

router = APIRouter(tags=["history"], route_class=JsonBodyRoute)

TypeParam = Annotated[
    list[EventType] | None,
    Query(alias="type", description="only events of these types (repeat it for several)"),
]
KindParam = Annotated[KindName | None, Query(description="only events of this kind")]


def _date_time(value: object) -> object:
    """A date and time as ISO 8601 writes them, and nothing else pydantic would take for
    one (a number of seconds, a date alone)."""
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        raise ValueError("expected an ISO 8601 date and time, such as 2026-03-01T00:00:00Z")
    return value


_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
DateTime = Annotated[datetime, BeforeValidator(_date_time)]
SinceParam = Annotated[
    DateTime | None, Query(description="saves finished at or after this time (ISO 8601)")
]
UntilParam = Annotated[
    DateTime | None, Query(description="saves finished before this time (ISO 8601)")
]
# Entries per call while the CSV is written (the library allows more than the JSON's 100).
CSV_PAGE = 1000


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value if value.tzinfo else value.replace(tzinfo=UTC))
    return ts


async def _events(
    request: Request, user_id: str, offset: int, limit: int, **query: Any
) -> Response:
    answer = await backends_of(request).library.ListEvents(
        library_pb2.ListEventsRequest(user_id=user_id, offset=offset, limit=limit, **query)
    )
    return page_response(request, answer.events_json, answer.total, offset, limit)


@router.get(
    "/api/v1/playlists/{playlist_id}/history",
    response_model=EventPage,
    responses=error_responses(*AUTHENTICATED, 404, 422),
)
async def playlist_history(
    request: Request,
    playlist_id: str,
    user: CurrentUser,
    type: TypeParam = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """The playlist's events, newest first: its own (followed, renamed, ...) and each item
    occurrence's. A playlist the user's saves never held: 404."""
    pid = ids.spotify_id(playlist_id, "playlist")
    return await _events(request, user.id, offset, limit, playlist_id=pid, types=type or [])


@router.get(
    "/api/v1/history",
    response_model=EventPage,
    responses=error_responses(*AUTHENTICATED, 422),
)
async def history(
    request: Request,
    user: CurrentUser,
    kind: KindParam = None,
    type: TypeParam = None,
    since: SinceParam = None,
    until: UntilParam = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """The whole library's events, newest first."""
    return await _events(
        request,
        user.id,
        offset,
        limit,
        kind=kind_value(kind) if kind else library_pb2.KIND_UNSPECIFIED,
        types=type or [],
        since=_timestamp(since),
        until=_timestamp(until),
    )


@router.get(
    "/api/v1/tracks/{track_id}/history",
    response_model=EventPage,
    responses=error_responses(*AUTHENTICATED, 404, 422),
)
async def track_history(
    request: Request,
    track_id: str,
    user: CurrentUser,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """Where the track has been, newest first: every playlist occurrence and Liked Songs
    event across all saves. A track the user's saves never held: 404."""
    tid = ids.spotify_id(track_id, "track")
    return await _events(request, user.id, offset, limit, track_id=tid)


@router.get(
    "/api/v1/playlists/{playlist_id}/cumulative",
    response_model=CumulativePage,
    responses=error_responses(*AUTHENTICATED, 404, 422),
)
async def playlist_cumulative(
    request: Request,
    playlist_id: str,
    user: CurrentUser,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    """Every item occurrence the playlist ever held, in first-seen order: two copies of a
    track are two entries, and each entry lists every time it came and went."""
    pid = ids.spotify_id(playlist_id, "playlist")
    answer = await backends_of(request).library.ListCumulative(
        library_pb2.ListCumulativeRequest(
            user_id=user.id, playlist_id=pid, offset=offset, limit=limit
        )
    )
    return page_response(request, answer.entries_json, answer.total, offset, limit)


@router.get(
    "/api/v1/exports/playlists/{playlist_id}/cumulative.csv",
    response_class=StreamingResponse,
    responses=file_responses("text/csv", 404),
)
async def playlist_cumulative_csv(
    request: Request, playlist_id: str, user: CurrentUser
) -> StreamingResponse:
    """The cumulative view as CSV, one row per occurrence (its cycles as ISO 8601 intervals,
    `added/removed`, open-ended while it is there). The first page is read before the answer
    starts, so an unknown playlist is a plain 404."""
    pid = ids.spotify_id(playlist_id, "playlist")
    library = backends_of(request).library

    async def page(offset: int) -> library_pb2.ListCumulativeResponse:
        request = library_pb2.ListCumulativeRequest(
            user_id=user.id, playlist_id=pid, offset=offset, limit=CSV_PAGE
        )
        answer: library_pb2.ListCumulativeResponse = await library.ListCumulative(request)
        return answer

    first = await page(0)

    async def pages() -> AsyncIterator[list[dict[str, Any]]]:
        answer, offset = first, 0
        while True:
            yield [json.loads(e) for e in answer.entries_json]
            offset += len(answer.entries_json)
            if not answer.entries_json or offset >= answer.total:
                return
            answer = await page(offset)

    name = names.safe_name(f"{pid}_cumulative", ".csv")
    return file_response(cumulative.encoded(pages()), CSV, name, "")
