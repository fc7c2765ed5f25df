"""Spotify-shaped paging (docs/api.md "Conventions"): the query parameters and the page body,
whose items are spliced in as the JSON text they already are."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request, Response

# int32 on the wire to the services: larger offsets are refused, not overflowed.
MAX_OFFSET = 2**31 - 1

Limit = Annotated[int, Query(ge=1, le=100, description="page size, 1-100")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="index of the first item")]


def _url(request: Request, offset: int, limit: int) -> str:
    public_url: str = request.app.state.settings.public_url.rstrip("/")
    query = dict(request.query_params)
    query.update(offset=str(offset), limit=str(limit))
    return f"{public_url}{request.url.path}?{urlencode(query)}"


def page_response(
    request: Request, items_json: Sequence[str], total: int, offset: int, limit: int
) -> Response:
    """`items_json`: each item's JSON text, put into the body byte for byte."""
    following = _url(request, offset + limit, limit) if offset + limit < total else None
    previous = _url(request, max(offset - limit, 0), limit) if offset > 0 else None
    tail = json.dumps(
        {"total": total, "limit": limit, "offset": offset, "next": following, "previous": previous}
    )
    body = f'{{"items": [{", ".join(items_json)}], {tail[1:]}'
    return Response(body, media_type="application/json")
