"""Imports (docs/api.md "Imports"): a library from a file (an Exportify CSV of either layout,
Exportify's zip of CSVs, a Tapedeck JSON zip) or a JSON list of URIs, parsed here
(gateway.imports) and kept by the library as a restore's source."""

from __future__ import annotations

import asyncio
import json
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from tapedeck.restore.v1 import restore_pb2

from gateway.bodies import is_json
from gateway.deps import BackendsDep, CurrentUser
from gateway.imports.formats import ImportRefused, Parsed, parse_file, parse_uris
from gateway.library_json import _time
from gateway.openapi import AUTHENTICATED, error_responses
from gateway.paging import Limit, Offset, page_response
from gateway.restore_schemas import Import, ImportPage
from kit import errors

router = APIRouter(tags=["imports"])


def import_json(found: restore_pb2.Import) -> dict[str, Any]:
    return {
        "id": found.id,
        "format": found.format,
        "created_at": _time(found, "created_at"),
        "playlists": [
            {"id": p.id, "name": p.name, "items": p.items, "unresolved": p.unresolved}
            for p in found.playlists
        ],
        "liked": found.liked,
        "albums": found.albums,
    }


def _file_part(content_type: str, body: bytes) -> tuple[bytes, str]:
    """The multipart field `file`: its bytes and file name (the standard library's MIME
    parser: multipart/form-data is MIME)."""
    message = BytesParser(_class=EmailMessage, policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise errors.InvalidArgument("a multipart/form-data body with a field named file")
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            payload = part.get_payload(decode=True)
            if not isinstance(payload, bytes):
                break
            return payload, str(part.get_filename() or "")
    raise errors.InvalidArgument("the form has no field named file")


def _parse(content_type: str, body: bytes) -> Parsed:
    try:
        if is_json(content_type):
            try:
                given = json.loads(body)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ImportRefused("the body is not JSON") from None
            if not isinstance(given, dict) or not isinstance(given.get("uris"), list):
                raise ImportRefused('a JSON body is {"name": "…", "uris": ["spotify:track:…", …]}')
            return parse_uris(str(given.get("name") or ""), given["uris"])
        if content_type.lower().startswith("multipart/form-data"):
            data, filename = _file_part(content_type, body)
            return parse_file(data, filename)
    except ImportRefused as refused:
        raise errors.InvalidArgument(str(refused)) from None
    raise errors.InvalidArgument(
        'send a file as multipart/form-data (field file), or JSON {"name", "uris"}'
    )


@router.post(
    "/api/v1/imports",
    status_code=201,
    response_model=Import,
    responses=error_responses(400, *AUTHENTICATED, 413),
)
async def create_import(request: Request, user: CurrentUser, backends: BackendsDep) -> JSONResponse:
    body = await request.body()
    # Parsing a large file or zip is CPU work: in a thread, not on the event loop.
    parsed = await asyncio.to_thread(_parse, request.headers.get("content-type", ""), body)
    answer = await backends.restore.CreateImport(
        restore_pb2.CreateImportRequest(
            user_id=user.id,
            format=parsed.format,
            playlists=[
                restore_pb2.ImportedPlaylist(
                    name=p.name, description=p.description, uris=p.uris, unresolved=p.unresolved
                )
                for p in parsed.playlists
            ],
            liked=parsed.liked,
            albums=parsed.albums,
        )
    )
    return JSONResponse(import_json(answer.imported), status_code=201)


@router.get(
    "/api/v1/imports", response_model=ImportPage, responses=error_responses(*AUTHENTICATED, 422)
)
async def list_imports(
    request: Request,
    user: CurrentUser,
    backends: BackendsDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Response:
    answer = await backends.restore.ListImports(
        restore_pb2.ListImportsRequest(user_id=user.id, offset=offset, limit=limit)
    )
    items = [json.dumps(import_json(i)) for i in answer.imports]
    return page_response(request, items, answer.total, offset, limit)


@router.get(
    "/api/v1/imports/{import_id}",
    response_model=Import,
    responses=error_responses(*AUTHENTICATED, 404),
)
async def get_import(import_id: str, user: CurrentUser, backends: BackendsDep) -> JSONResponse:
    answer = await backends.restore.GetImport(
        restore_pb2.GetImportRequest(user_id=user.id, import_id=import_id)
    )
    return JSONResponse(import_json(answer.imported))


@router.delete(
    "/api/v1/imports/{import_id}", status_code=204, responses=error_responses(*AUTHENTICATED, 404)
)
async def delete_import(import_id: str, user: CurrentUser, backends: BackendsDep) -> Response:
    await backends.restore.DeleteImport(
        restore_pb2.DeleteImportRequest(user_id=user.id, import_id=import_id)
    )
    return Response(status_code=204)
