"""Exports: a user's stored library as files (docs/api.md "Exports"). Each route reads its
first page before answering (gateway.exports.source: an unknown playlist or save is a 404,
not a broken stream), then streams the file as the pages arrive, with a safe file name in
Content-Disposition (gateway.exports.names)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from gateway.bodies import JsonBodyRoute
from gateway.deps import CurrentUser, backends_of
from gateway.exports import exportify, itunes, m3u, names, source
from gateway.exports.downloaded import downloads_of
from gateway.openapi import AUTHENTICATED, error_responses

router = APIRouter(tags=["exports"], route_class=JsonBodyRoute)

SaveParam = Annotated[
    str | None,
    Query(alias="save", description="a save's id; the newest holding the kind if absent"),
]
ExcelParam = Annotated[
    bool,
    Query(
        description="for spreadsheets: a BOM, and a `'` before cells starting with = + - @ "
        "(formula injection); off, the bytes are exactly Exportify's, as importers expect"
    ),
]

CSV = "text/csv; charset=utf-8"


def file_response(
    body: AsyncIterator[bytes], media_type: str, file_name: str, save_id: str
) -> StreamingResponse:
    """A streamed file named `file_name` (already safe), saying which save it holds."""
    headers = {"Content-Disposition": names.content_disposition(file_name)}
    if save_id:
        headers["X-Tapedeck-Save"] = save_id
    return StreamingResponse(body, media_type=media_type, headers=headers)


def file_responses(media_type: str, *errors: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of an export: the file, then the error bodies (JSON)."""
    return {
        200: {
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
            "description": "the file, streamed",
            "headers": {
                "Content-Disposition": {
                    "description": "attachment, with the file's safe name (RFC 6266)",
                    "schema": {"type": "string"},
                },
                "X-Tapedeck-Save": {
                    "description": "the save the file holds; absent before any save of the kind",
                    "schema": {"type": "string"},
                },
            },
        },
        **error_responses(*AUTHENTICATED, *errors, beside=media_type),
    }


@router.get(
    "/api/v1/exports/playlists/{playlist_id}.csv",
    response_class=StreamingResponse,
    responses=file_responses("text/csv", 404, 422),
)
async def playlist_csv(
    request: Request,
    playlist_id: str,
    user: CurrentUser,
    save: SaveParam = None,
    excel: ExcelParam = False,
) -> StreamingResponse:
    """The playlist's items as Exportify's CSV, one row per occurrence, in playlist order;
    named as Exportify names it (the playlist's name lower-cased, punctuation and spaces as
    `_`), made safe. Another user's or an unknown playlist: 404."""
    backends = backends_of(request)
    playlist, save_id = await source.playlist(backends, user.id, playlist_id, save)
    items = await source.playlist_items(backends, user.id, playlist_id, save_id or save)
    file_name = names.playlist_file(str(playlist.get("name") or ""))
    body = exportify.encoded(items.item_pages(), excel)
    return file_response(body, CSV, file_name, items.save_id)


@router.get(
    "/api/v1/exports/tracks.csv",
    response_class=StreamingResponse,
    responses=file_responses("text/csv", 404, 422),
)
async def tracks_csv(
    request: Request,
    user: CurrentUser,
    save: SaveParam = None,
    excel: ExcelParam = False,
) -> StreamingResponse:
    """Liked Songs as Exportify's CSV (`Added By` empty), as `liked.csv`; before any save of
    Liked Songs, the header alone."""
    items = await source.kind_items(backends_of(request), user.id, "tracks", save)
    body = exportify.encoded(items.item_pages(), excel)
    return file_response(body, CSV, names.LIKED, items.save_id)


XML = "application/xml"
M3U8 = "audio/x-mpegurl"
LIBRARY_XML = "library.xml"


async def _utf8(chunks: AsyncIterator[str]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield chunk.encode("utf-8", "replace")


@router.get(
    "/api/v1/exports/library.xml",
    response_class=StreamingResponse,
    responses=file_responses(XML, 404, 422),
)
async def library_xml(
    request: Request, user: CurrentUser, save: SaveParam = None
) -> StreamingResponse:
    """Every playlist of the save as an iTunes Library XML (plist), for iTunes, Music,
    rekordbox and other players: each distinct track once under `Tracks` (a `Location` for
    a downloaded one), then the playlists with their items in order."""
    backends = backends_of(request)
    playlists = await source.kind_items(backends, user.id, "playlists", save)
    folder, downloaded = await downloads_of(backends, user.id)

    async def each_playlist() -> AsyncIterator[dict[str, Any]]:
        async for page in playlists.item_pages():
            for playlist in page:
                yield playlist

    async def item_pages(playlist: Mapping[str, Any]) -> AsyncIterator[list[dict[str, Any]]]:
        items = await source.playlist_items(
            backends, user.id, str(playlist.get("id") or ""), playlists.save_id
        )
        async for page in items.item_pages():
            yield page

    body = itunes.library_xml(
        each_playlist, item_pages, downloaded, library_id=user.id, folder=folder
    )
    return file_response(_utf8(body), XML, LIBRARY_XML, playlists.save_id)


@router.get(
    "/api/v1/exports/playlists/{playlist_id}.m3u8",
    response_class=StreamingResponse,
    responses=file_responses(M3U8, 404, 422),
)
async def playlist_m3u8(
    request: Request, playlist_id: str, user: CurrentUser, save: SaveParam = None
) -> StreamingResponse:
    """The playlist's downloaded tracks as an extended M3U, in playlist order, with paths
    relative to the downloads folder; tracks not downloaded are left out. Named after the
    playlist as its CSV is. Another user's or an unknown playlist: 404."""
    backends = backends_of(request)
    playlist, save_id = await source.playlist(backends, user.id, playlist_id, save)
    items = await source.playlist_items(backends, user.id, playlist_id, save_id or save)
    _, downloaded = await downloads_of(backends, user.id)
    file_name = names.playlist_file(str(playlist.get("name") or ""), ".m3u8")
    body = m3u.playlist_m3u(items.item_pages(), downloaded)
    return file_response(_utf8(body), M3U8, file_name, items.save_id)
