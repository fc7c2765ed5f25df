"""Exports: a user's stored library as files (docs/api.md "Exports"). Each route reads its
first page before answering (gateway.exports.source: an unknown playlist or save is a 404,
not a broken stream), then streams the file as the pages arrive, with a safe file name in
Content-Disposition (gateway.exports.names)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from importlib.metadata import version
from typing import Annotated, Any

import grpc
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from gateway.backends import Backends
from gateway.bodies import JsonBodyRoute
from gateway.deps import CurrentUser, backends_of
from gateway.exports import exportify, itunes, m3u, names, source
from gateway.exports.archives import Member, json_array, json_values, zip_stream
from gateway.exports.downloaded import downloads_of
from gateway.openapi import AUTHENTICATED, error_responses
from kit import errors
from kit.status import error_from_rpc

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


FORMATS = ("csv", "json")
JSON_ZIP = "tapedeck_library.zip"
# The JSON zip's files, one per kind, in this order; the manifest comes last, when the
# counts are known.
KIND_FILES = {
    "playlists": "playlists.json",
    "tracks": "tracks.json",
    "albums": "albums.json",
    "artists": "artists.json",
}
MANIFEST = "manifest.json"


@router.get(
    "/api/v1/exports/library.zip",
    response_class=StreamingResponse,
    responses=file_responses("application/zip", 400, 404),
)
async def library_zip(
    request: Request,
    user: CurrentUser,
    save: SaveParam = None,
    format: Annotated[
        str,
        Query(
            description="`csv`: every playlist and Liked Songs as Exportify's CSV, in "
            "`spotify_playlists.zip`; `json`: every kind's stored objects, one file each, and "
            "`manifest.json`. Anything else: 400",
            # Checked by the route (400 bad_request, as docs/api.md says), not by FastAPI
            # (which would answer 422); the document still names the two values.
            json_schema_extra={"enum": list(FORMATS)},
        ),
    ] = "csv",
) -> StreamingResponse:
    """The whole library in one zip, written as it is read. Without `save`, each kind from
    its newest save; with it, the kinds that save holds (404 if it holds none)."""
    if format not in FORMATS:
        raise errors.InvalidArgument(f"format: one of {', '.join(FORMATS)}, not {format!r}")
    backends = backends_of(request)
    kinds = ("tracks", "playlists") if format == "csv" else tuple(KIND_FILES)
    found = await _first_pages(backends, user.id, kinds, save)
    when = datetime.now(UTC)
    if format == "csv":
        members = _csv_members(backends, user.id, found, save)
        body = zip_stream(members, when.replace(tzinfo=None))
        return file_response(body, "application/zip", names.ALL_PLAYLISTS, _one_save(found))
    # A kind's JSON may outgrow 2 GiB (a large library's items): Zip64 for those files.
    members = _json_members(backends, user.id, found, save, when)
    body = zip_stream(members, when.replace(tzinfo=None), (*KIND_FILES.values(), MANIFEST))
    return file_response(body, "application/zip", JSON_ZIP, _one_save(found))


def _one_save(found: dict[str, source.Items]) -> str:
    """The save every file of the zip comes from, or "" when the kinds come from several
    (each kind's newest) or from none yet; the JSON zip's manifest names each kind's."""
    saves = {items.save_id for items in found.values() if items.save_id}
    return saves.pop() if len(saves) == 1 else ""


async def _first_pages(
    backends: Backends, user_id: str, kinds: tuple[str, ...], save: str | None
) -> dict[str, source.Items]:
    """Each kind's first page, read before the answer starts. A save that does not hold a
    kind leaves it out; one that holds none of them (or no save of that id) is a 404."""
    found: dict[str, source.Items] = {}
    missing: errors.NotFound | None = None
    for kind in kinds:
        try:
            found[kind] = await source.kind_items(backends, user_id, kind, save)
        except grpc.RpcError as exc:
            error = error_from_rpc(exc)
            if not isinstance(error, errors.NotFound):
                raise
            missing = error
    if not found and missing is not None:
        raise missing
    return found


async def _csv_members(
    backends: Backends, user_id: str, found: dict[str, source.Items], save: str | None
) -> AsyncIterator[Member]:
    """Liked Songs first (Exportify lists it first too), then each playlist in the library's
    order, each file exactly the single export's bytes, named as Exportify names them in
    its zip (a repeated name numbered)."""
    namer = names.Namer()
    if "tracks" in found:
        yield namer.name(names.LIKED), exportify.encoded(found["tracks"].item_pages())
    if "playlists" not in found:
        return
    playlists = found["playlists"]
    async for playlist in playlists:
        file_name = namer.name(names.playlist_file(str(playlist.get("name") or "")))
        chunks = _playlist_csv(backends, user_id, str(playlist["id"]), playlists.save_id or save)
        yield file_name, chunks


async def _playlist_csv(
    backends: Backends, user_id: str, playlist_id: str, save: str | None
) -> AsyncIterator[bytes]:
    items = await source.playlist_items(backends, user_id, playlist_id, save)
    async for chunk in exportify.encoded(items.item_pages()):
        yield chunk


async def _json_members(
    backends: Backends,
    user_id: str,
    found: dict[str, source.Items],
    save: str | None,
    when: datetime,
) -> AsyncIterator[Member]:
    """Each kind's objects as the reads give them, one JSON array a file; playlists as
    `{"playlist": <object>, "items": [<item>, ...]}`; then the manifest."""
    counts: dict[str, dict[str, int]] = {}
    for kind, file_name in KIND_FILES.items():
        if kind not in found:
            continue
        items = found[kind]
        count = counts[kind] = {"count": 0}
        if kind == "playlists":
            count["items"] = 0
            yield file_name, json_values(_playlists_json(backends, user_id, items, save, count))
        else:
            yield file_name, json_array(_counted(items.pages(), count))
    yield MANIFEST, _manifest(found, counts, save, when)


async def _counted(
    pages: AsyncIterator[list[str]], count: dict[str, int], key: str = "count"
) -> AsyncIterator[list[bytes]]:
    async for page in pages:
        count[key] += len(page)
        yield [value.encode() for value in page]


async def _playlists_json(
    backends: Backends,
    user_id: str,
    playlists: source.Items,
    save: str | None,
    count: dict[str, int],
) -> AsyncIterator[AsyncIterator[bytes]]:
    async for page in playlists.pages():
        for playlist_json in page:
            count["count"] += 1
            playlist_id = str(json.loads(playlist_json)["id"])
            yield _playlist_json(
                backends, user_id, playlist_id, playlist_json, playlists.save_id or save, count
            )


async def _playlist_json(
    backends: Backends,
    user_id: str,
    playlist_id: str,
    playlist_json: str,
    save: str | None,
    count: dict[str, int],
) -> AsyncIterator[bytes]:
    items = await source.playlist_items(backends, user_id, playlist_id, save)
    yield b'{"playlist": ' + playlist_json.encode() + b', "items": '
    async for chunk in json_array(_counted(items.pages(), count, "items")):
        yield chunk
    yield b"}"


async def _manifest(
    found: dict[str, source.Items],
    counts: dict[str, dict[str, int]],
    save: str | None,
    when: datetime,
) -> AsyncIterator[bytes]:
    """What the zip holds: each kind's file, the save it was read from (null for a kind
    the save asked for does not hold, or before any save of it), and how many objects."""
    kinds = {
        kind: {
            "file": file_name if kind in found else None,
            "save_id": (found[kind].save_id or None) if kind in found else None,
            **counts.get(kind, {"count": 0}),
        }
        for kind, file_name in KIND_FILES.items()
    }
    manifest = {
        "format": "tapedeck-library",
        "tapedeck_version": version("tapedeck-gateway"),
        "exported_at": when.isoformat().replace("+00:00", "Z"),
        "save": save,
        "kinds": kinds,
    }
    yield json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n"


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
