"""Library reads: a user's saved playlists, their items, liked songs, albums and artists, as
Spotify returned them (docs/api.md "Library reads"). Items are spliced in as stored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from tapedeck.library.v1 import library_pb2

from gateway import ids
from gateway.deps import Backends, BackendsDep, CurrentUser, User
from gateway.paging import Limit, Offset, page_response

router = APIRouter(tags=["library"])

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
    return page_response(request, answer.items_json, answer.total, offset, limit)


@router.get("/api/v1/playlists")
async def playlists(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    query: ReadQueryDep,
) -> Response:
    return await _list(request, backends, user, library_pb2.KIND_PLAYLISTS, query)


@router.get("/api/v1/playlists/{playlist_id}")
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


@router.get("/api/v1/playlists/{playlist_id}/tracks")
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
    return page_response(request, answer.items_json, answer.total, query.offset, query.limit)


@router.get("/api/v1/tracks")
async def tracks(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    query: ReadQueryDep,
) -> Response:
    return await _list(request, backends, user, library_pb2.KIND_TRACKS, query)


@router.get("/api/v1/albums")
async def albums(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    query: ReadQueryDep,
) -> Response:
    return await _list(request, backends, user, library_pb2.KIND_ALBUMS, query)


@router.get("/api/v1/artists")
async def artists(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    query: ReadQueryDep,
) -> Response:
    return await _list(request, backends, user, library_pb2.KIND_ARTISTS, query)
