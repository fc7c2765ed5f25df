"""Library reads: a user's saved playlists, their items, liked songs, albums and artists, as
Spotify returned them (docs/api.md "Library reads"). Items are spliced in as stored.

A page read from a save is tagged (gateway.etags), answered 304 to a matching
If-None-Match, and kept in the read cache (gateway.cache): a hot page whose save the cache
knows costs no call to the library."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from tapedeck.library.v1 import library_pb2

from gateway import etags, ids
from gateway.bodies import JsonBodyRoute
from gateway.cache import ReadCache, of_app
from gateway.deps import Backends, CurrentUser, User, backends_of
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


# The three are parameters of each read itself, not one dependency: each dependency costs
# every request FastAPI's resolution (bench/README.md).


def _plumbing(request: Request) -> tuple[Backends, ReadCache]:
    """The backends and the read cache, taken from the app rather than as dependencies:
    each dependency costs every request FastAPI's resolution (bench/README.md)."""
    return backends_of(request), of_app(request.app.state)


JSON = "application/json"

# A read's answer and the save it came from ("" before any save of its kind completed).
Answer = tuple[Response, str]


async def _cached(
    request: Request,
    user: User,
    cache: ReadCache,
    kind: str,
    save: str | None,
    read: Callable[[], Awaitable[Answer]],
) -> Response:
    """The read's answer, tagged: from the cache when it knows the page, 304 when the client
    already holds it, else `read()`, kept for next time."""
    save_id = save or cache.latest.get(user.id, kind)
    if save_id:
        tag = etags.etag(request, user.id, save_id)
        if etags.matches(request, tag):
            return etags.not_modified(tag)
        body = cache.pages.get(tag)
        if body is not None:
            return etags.tagged(Response(body, media_type=JSON), tag)
    before = cache.latest.snapshot(user.id)
    response, save_id = await read()
    if not save_id:
        return response
    if not save:
        cache.latest.remember(user.id, kind, save_id, before)
    tag = etags.etag(request, user.id, save_id)
    if etags.matches(request, tag):
        return etags.not_modified(tag)
    cache.pages.keep(tag, bytes(response.body))
    return etags.tagged(response, tag)


_TAG_HEADERS = {
    "ETag": {
        "description": "the page's tag, once a save of the kind has completed; sent back in "
        "If-None-Match, it is answered 304 Not Modified with no body while it still matches",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": "private, no-cache", "schema": {"type": "string"}},
}
TAGGED = {"headers": _TAG_HEADERS}
# An empty page read before any save of its kind has completed says so (gateway.notices).
NOTICE = {
    "headers": {
        NOTICE_HEADER: {
            "description": "only on an empty page before any save of the kind completed: why",
            "schema": {"type": "string"},
        },
        **_TAG_HEADERS,
    }
}


async def _list(
    request: Request,
    backends: Backends,
    cache: ReadCache,
    user: User,
    kind: library_pb2.Kind,
    query: ReadQuery,
) -> Response:
    save, limit, offset = query.save, query.limit, query.offset

    async def read() -> Answer:
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
        noticed = await _noticed(page, backends, user, kind_name(kind), query, answer)
        return noticed, answer.save_id

    return await _cached(request, user, cache, kind_name(kind), save, read)


async def _noticed(
    page: Response,
    backends: Backends,
    user: User,
    kind: str,
    query: ReadQuery,
    answer: library_pb2.ListItemsResponse | library_pb2.ListPlaylistItemsResponse,
) -> Response:
    """An empty page read before any save of its kind has completed says so in a header."""
    if answer.total == 0 and not answer.save_id and not query.save:
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
    save: SaveParam = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    query = ReadQuery(save, limit, offset)
    backends, cache = _plumbing(request)
    return await _list(request, backends, cache, user, library_pb2.KIND_PLAYLISTS, query)


@router.get(
    "/api/v1/playlists/{playlist_id}",
    response_model=Playlist,
    responses={200: TAGGED, **error_responses(*AUTHENTICATED, 404)},
)
async def playlist(
    request: Request,
    playlist_id: str,
    user: CurrentUser,
    save: SaveParam = None,
) -> Response:
    backends, cache = _plumbing(request)
    item_id = ids.spotify_id(playlist_id, "playlist")

    async def read() -> Answer:
        answer = await backends.library.GetItem(
            library_pb2.GetItemRequest(
                user_id=user.id,
                kind=library_pb2.KIND_PLAYLISTS,
                save_id=save or "",
                item_id=item_id,
            )
        )
        return Response(answer.item_json, media_type=JSON), answer.save_id

    return await _cached(request, user, cache, "playlists", save, read)


@router.get(
    "/api/v1/playlists/{playlist_id}/tracks",
    response_model=PlaylistItemPage,
    responses={200: NOTICE, **error_responses(*AUTHENTICATED, 404, 422)},
)
async def playlist_tracks(
    request: Request,
    playlist_id: str,
    user: CurrentUser,
    save: SaveParam = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    query = ReadQuery(save, limit, offset)
    backends, cache = _plumbing(request)
    item_id = ids.spotify_id(playlist_id, "playlist")

    async def read() -> Answer:
        answer = await backends.library.ListPlaylistItems(
            library_pb2.ListPlaylistItemsRequest(
                user_id=user.id,
                save_id=query.save or "",
                playlist_id=item_id,
                offset=query.offset,
                limit=query.limit,
            )
        )
        page = page_response(request, answer.items_json, answer.total, query.offset, query.limit)
        return await _noticed(page, backends, user, "playlists", query, answer), answer.save_id

    return await _cached(request, user, cache, "playlists", query.save, read)


@router.get(
    "/api/v1/tracks",
    response_model=SavedTrackPage,
    responses={200: NOTICE, **error_responses(*AUTHENTICATED, 404, 422)},
)
async def tracks(
    request: Request,
    user: CurrentUser,
    save: SaveParam = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    query = ReadQuery(save, limit, offset)
    backends, cache = _plumbing(request)
    return await _list(request, backends, cache, user, library_pb2.KIND_TRACKS, query)


@router.get(
    "/api/v1/albums",
    response_model=SavedAlbumPage,
    responses={200: NOTICE, **error_responses(*AUTHENTICATED, 404, 422)},
)
async def albums(
    request: Request,
    user: CurrentUser,
    save: SaveParam = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    query = ReadQuery(save, limit, offset)
    backends, cache = _plumbing(request)
    return await _list(request, backends, cache, user, library_pb2.KIND_ALBUMS, query)


@router.get(
    "/api/v1/artists",
    response_model=ArtistPage,
    responses={200: NOTICE, **error_responses(*AUTHENTICATED, 404, 422)},
)
async def artists(
    request: Request,
    user: CurrentUser,
    save: SaveParam = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    query = ReadQuery(save, limit, offset)
    backends, cache = _plumbing(request)
    return await _list(request, backends, cache, user, library_pb2.KIND_ARTISTS, query)
