"""gateway.routing.PrefixRoute turns a path away by its literal start, and otherwise matches
exactly as FastAPI's APIRoute: the same FULL, PARTIAL (another method: 405) and NONE."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Response
from fastapi.routing import APIRoute
from starlette.routing import Match

from gateway.routing import PrefixRoute


async def _endpoint(playlist_id: str) -> Response:
    return Response(playlist_id)


def _scope(path: str, method: str = "GET", root_path: str = "") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": root_path}


@pytest.mark.parametrize(
    "scope",
    [
        _scope("/api/v1/playlists/abc/tracks"),
        _scope("/api/v1/playlists/abc/tracks", method="POST"),
        _scope("/api/v1/playlists/abc"),
        _scope("/api/v1/tracks"),
        _scope("/api/v1/playlists//tracks"),
        _scope("/"),
        _scope("/base/api/v1/playlists/abc/tracks", root_path="/base"),
        _scope("/base/api/v1/tracks", root_path="/base"),
    ],
)
def test_a_prefix_route_matches_as_fastapi_does(scope: dict[str, Any]) -> None:
    path = "/api/v1/playlists/{playlist_id}/tracks"
    ours = PrefixRoute(path, _endpoint, methods=["GET"])
    theirs = APIRoute(path, _endpoint, methods=["GET"])
    match, child = ours.matches(dict(scope))
    expected, expected_child = theirs.matches(dict(scope))
    assert match == expected
    assert child.get("path_params") == expected_child.get("path_params")


def test_the_literal_start_is_what_precedes_the_first_parameter() -> None:
    assert PrefixRoute("/healthz", _endpoint).literal_start == "/healthz"
    assert PrefixRoute("/docs/{asset}", _endpoint).literal_start == "/docs/"
    route = PrefixRoute("/api/v1/playlists/{playlist_id}/tracks", _endpoint, methods=["GET"])
    assert route.matches(_scope("/api/v1/playlists/abc/tracks"))[0] is Match.FULL
    assert route.matches(_scope("/api/v1/playlists/abc/tracks", "POST"))[0] is Match.PARTIAL
    assert route.matches(_scope("/healthz"))[0] is Match.NONE
