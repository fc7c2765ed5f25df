"""Library reads: a user's saved playlists, their items, liked songs, albums and artists, as
Spotify returned them (docs/api.md "Library reads"). Items are spliced in as stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from tapedeck.library.v1 import library_pb2

from gateway import ids
from gateway.bodies import JsonBodyRoute
from gateway.deps import Backends, BackendsDep, CurrentUser, User
from gateway.kinds import kind_name
from gateway.notices import NOTICE_HEADER, before_first_save
from gateway.openapi import AUTHENTICATED, error_responses
from gateway.paging import Limit, Offset, page_response
from gateway.schemas import (
    ArtistPage,
    Playlist,
    PlaylistItemPage,
    PlaylistPage,
    SavedAlbumPage,
    SavedTrackPage,
)

router = APIRouter(tags=["library"], route_class=JsonBodyRoute)

SaveParam = Annotated[
    str | None,
    Query(alias="save", description="a save's id; the newest holding the kind if absent"),
]


@dataclass(frozen=True)
class ReadQuery:
    """What every read takes: which save, and which page."""

    save: str | None
    limit: int
    offset: int


def read_query(save: SaveParam = None, limit: Limit = 50, offset: Offset = 0) -> ReadQuery:
    return ReadQuery(save, limit, offset)


ReadQueryDep = Annotated[ReadQuery, Depends(read_query)]

# An empty page read before any save of its kind has completed says so (gateway.notices).
NOTICE = {
    "headers": {
        NOTICE_HEADER: {
            "description": "only on an empty page before any save of the kind completed: why",
            "schema": {"type": "string"},
        }
    }
}


async def _list(
    request: Request, backends: Backends, user: User, kind: library_pb2.Kind, query: ReadQuery
) -> Response:
    save, limit, offset = query.save, query.limit, query.offset
    answer = await backends.library.ListItems(
        library_pb2.ListItemsRequest(
            user_id=user.id,
            kind=kind,
            save_id=save or "",
            offset=offset,
            limit=limit,
        )
    )
    page = page_response(request, answer.items_json, answer.total, offset, limit)
    return await _noticed(page, backends, user, kind_name(kind), query, answer.total)


async def _noticed(
    page: Response, backends: Backends, user: User, kind: str, query: ReadQuery, total: int
) -> Response:
    """An empty page read before any save of its kind has completed says so in a header."""
    if total == 0 and not query.save:
        notice = await before_first_save(backends, user.id, kind)
        if notice is not None:
            page.headers[NOTICE_HEADER] = notice
    return page


@router.get(
    "/api/v1/playlists",
    response_model=PlaylistPage,
    responses={200: NOTICE, **error_responses(*AUTHENTICATED, 404, 422)},
)
async def playlists(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    query: ReadQueryDep,
) -> Response:
    return await _list(request, backends, user, library_pb2.KIND_PLAYLISTS, query)


@router.get(
    "/api/v1/playlists/{playlist_id}",
    response_model=Playlist,
    responses=error_responses(*AUTHENTICATED, 404),
)
async def playlist(
    playlist_id: str, user: CurrentUser, backends: BackendsDep, save: SaveParam = None
) -> Response:
    answer = await backends.library.GetItem(
        library_pb2.GetItemRequest(
            user_id=user.id,
            kind=library_pb2.KIND_PLAYLISTS,
            save_id=save or "",
            item_id=ids.spotify_id(playlist_id, "playlist"),
        )
    )
    return Response(answer.item_json, media_type="application/json")


@router.get(
    "/api/v1/playlists/{playlist_id}/tracks",
    response_model=PlaylistItemPage,
    responses={200: NOTICE, **error_responses(*AUTHENTICATED, 404, 422)},
)
async def playlist_tracks(
    request: Request,
    playlist_id: str,
    user: CurrentUser,
    backends: BackendsDep,
    query: ReadQueryDep,
) -> Response:
    answer = await backends.library.ListPlaylistItems(
        library_pb2.ListPlaylistItemsRequest(
            user_id=user.id,
            save_id=query.save or "",
            playlist_id=ids.spotify_id(playlist_id, "playlist"),
            offset=query.offset,
            limit=query.limit,
        )
    )
    page = page_response(request, answer.items_json, answer.total, query.offset, query.limit)
    return await _noticed(page, backends, user, "playlists", query, answer.total)


@router.get(
    "/api/v1/tracks",
    response_model=SavedTrackPage,
    responses={200: NOTICE, **error_responses(*AUTHENTICATED, 404, 422)},
)
async def tracks(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    query: ReadQueryDep,
) -> Response:
    return await _list(request, backends, user, library_pb2.KIND_TRACKS, query)


@router.get(
    "/api/v1/albums",
    response_model=SavedAlbumPage,
    responses={200: NOTICE, **error_responses(*AUTHENTICATED, 404, 422)},
)
async def albums(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    query: ReadQueryDep,
) -> Response:
    return await _list(request, backends, user, library_pb2.KIND_ALBUMS, query)


@router.get(
    "/api/v1/artists",
    response_model=ArtistPage,
    responses={200: NOTICE, **error_responses(*AUTHENTICATED, 404, 422)},
)
async def artists(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    query: ReadQueryDep,
) -> Response:
    return await _list(request, backends, user, library_pb2.KIND_ARTISTS, query)
