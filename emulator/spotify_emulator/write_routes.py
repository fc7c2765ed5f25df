"""Spotify's write endpoints as development-mode apps have them in 2026: create a playlist
with POST /me/playlists, add (at most 100 per call, at a position), replace and remove its
items at /playlists/{id}/items, save to and remove from the library with PUT/DELETE
/me/library (at most 40 URIs per call). Registered on the Web API's router on import."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from spotify_emulator.api import NO_RESOURCE, NOT_FOUND, Api, Call, router
from spotify_emulator.library import Playlist
from spotify_emulator.messages import Response, api_error, json_response
from spotify_emulator.writes import (
    MAX_LIBRARY_URIS_PER_CALL,
    MAX_PLAYLIST_ITEMS_PER_CALL,
    MAX_TRACK_IDS_PER_CALL,
    BadUri,
    check_library_uris,
    item_code,
)

PLAYLIST_SCOPES = frozenset(["playlist-modify-private", "playlist-modify-public"])
LIBRARY_SCOPE = "user-library-modify"
INSUFFICIENT = "Insufficient client scope"


def _body(call: Call) -> dict[str, Any]:
    try:
        body = call.request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadUri("Error parsing JSON.") from None
    if not isinstance(body, dict):
        raise BadUri("Error parsing JSON.")
    return body


def _uris(call: Call, body: dict[str, Any]) -> list[str]:
    # As Spotify: URIs in the query win over those in the body.
    given = call.request.param("uris")
    if given is not None:
        return [u.strip() for u in given.split(",") if u.strip()]
    uris = body.get("uris")
    if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
        raise BadUri("Missing or malformed uris")
    return list(uris)


def _can_modify(call: Call, playlist: Playlist) -> Response | None:
    """The 403 Spotify answers a write to a playlist, or None when it may be written."""
    if not PLAYLIST_SCOPES & call.scope:
        return api_error(403, INSUFFICIENT)
    if playlist.owner != call.user_id and not playlist.collaborative:
        return api_error(403, "Forbidden")
    return None


def _writable(api: Api, call: Call) -> Playlist | Response:
    found = api.state.libraries.playlist(call.params["id"])
    if found is None:
        return api_error(404, NO_RESOURCE)
    return _can_modify(call, found) or found


def _snapshot(status: int, snapshot: str) -> Response:
    return json_response(status, {"snapshot_id": snapshot})


def _answer(handler: Any) -> Any:
    """Turns a BadUri raised by a write handler into Spotify's 400."""

    def wrapped(api: Api, call: Call) -> Response:
        try:
            answer: Response = handler(api, call)
            return answer
        except BadUri as bad:
            return api_error(400, str(bad))

    wrapped.__name__ = handler.__name__
    return wrapped


@router.route("POST", "/v1/me/playlists")
@_answer
def create_playlist(api: Api, call: Call) -> Response:
    body = _body(call)
    name = body.get("name")
    if not isinstance(name, str) or not name:
        return api_error(400, "Missing required field: name")
    public = bool(body.get("public", True))
    needed = "playlist-modify-public" if public else "playlist-modify-private"
    if needed not in call.scope:
        return api_error(403, INSUFFICIENT)
    state = api.state
    made = state.libraries.writes.create_playlist(
        call.library,
        name,
        str(body.get("description") or ""),
        public,
        bool(body.get("collaborative", False)),
    )
    return json_response(201, state.shapes.playlist(made, call.user_id, state.mode))


@router.route("POST", "/v1/users/{id}/playlists")
@_answer
def create_user_playlist(api: Api, call: Call) -> Response:
    # Gone for development-mode apps since February 2026: 403, as Spotify answers.
    if api.state.mode == "2026":
        return api_error(403, "Forbidden")
    if call.params["id"] != call.user_id:
        return api_error(403, "You cannot create a playlist for another user")
    return create_playlist(api, call)  # type: ignore[no-any-return]


@router.route("POST", "/v1/playlists/{id}/items")
@_answer
def add_items(api: Api, call: Call) -> Response:
    found = _writable(api, call)
    if isinstance(found, Response):
        return found
    body = _body(call)
    uris = _uris(call, body)
    if not uris:
        return api_error(400, "No uris provided")
    if len(uris) > MAX_PLAYLIST_ITEMS_PER_CALL:
        return api_error(400, "You can add a maximum of 100 tracks per request.")
    codes = [item_code(api.state.libraries, u) for u in uris]
    raw = call.request.param("position")
    position = body.get("position") if raw is None else raw
    at: int | None = None
    if position is not None:
        try:
            at = int(position)
        except (TypeError, ValueError):
            return api_error(400, "Invalid position")
        if not 0 <= at <= len(found.items):
            return api_error(400, "Index out of bounds")
    snapshot = api.state.libraries.writes.add_items(call.library, found, codes, at)
    return _snapshot(201, snapshot)


@router.route("PUT", "/v1/playlists/{id}/items")
@_answer
def replace_items(api: Api, call: Call) -> Response:
    found = _writable(api, call)
    if isinstance(found, Response):
        return found
    body = _body(call)
    if "range_start" in body:
        return api_error(400, "Reordering is not modelled by the emulator")
    uris = _uris(call, body)
    if len(uris) > MAX_PLAYLIST_ITEMS_PER_CALL:
        return api_error(400, "You can set a maximum of 100 tracks per request.")
    codes = [item_code(api.state.libraries, u) for u in uris]
    return _snapshot(200, api.state.libraries.writes.replace_items(call.library, found, codes))


@router.route("DELETE", "/v1/playlists/{id}/items")
@_answer
def remove_items(api: Api, call: Call) -> Response:
    found = _writable(api, call)
    if isinstance(found, Response):
        return found
    items = _body(call).get("items")
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get("uri"), str) for i in items
    ):
        return api_error(400, "Missing or malformed items")
    if len(items) > MAX_PLAYLIST_ITEMS_PER_CALL:
        return api_error(400, "You can remove a maximum of 100 tracks per request.")
    # Every occurrence of each URI goes, as Spotify removes them.
    codes = [item_code(api.state.libraries, i["uri"]) for i in items]
    return _snapshot(200, api.state.libraries.writes.remove_items(call.library, found, codes))


@router.route("PUT", "/v1/me/library")
@_answer
def save_library(api: Api, call: Call) -> Response:
    return _library(api, call, saving=True)


@router.route("DELETE", "/v1/me/library")
@_answer
def remove_library(api: Api, call: Call) -> Response:
    return _library(api, call, saving=False)


def _library(api: Api, call: Call, saving: bool) -> Response:
    raw = call.request.param("uris")
    if not raw:
        return api_error(400, "Missing required parameter: uris")
    uris = [u.strip() for u in raw.split(",") if u.strip()]
    if len(uris) > MAX_LIBRARY_URIS_PER_CALL:
        return api_error(400, "Too many URIs: at most 40")
    check_library_uris(api.state.libraries, uris)
    playlists = any(u.startswith("spotify:playlist:") for u in uris)
    others = any(not u.startswith("spotify:playlist:") for u in uris)
    if (playlists and not PLAYLIST_SCOPES & call.scope) or (
        others and LIBRARY_SCOPE not in call.scope
    ):
        return api_error(403, INSUFFICIENT)
    writes = api.state.libraries.writes
    (writes.save if saving else writes.remove)(call.library, uris)
    return Response(200, b"")


@router.route("PUT", "/v1/me/tracks")
@_answer
def save_tracks(api: Api, call: Call) -> Response:
    """The older save, deprecated: gone for development-mode apps since February 2026 (403,
    as for the other routes they lost that write), still there for extended-quota apps,
    whose `timestamped_ids` keep the dates Liked Songs were saved at."""
    if api.state.mode == "2026":
        return api_error(403, "Forbidden")
    if LIBRARY_SCOPE not in call.scope:
        return api_error(403, INSUFFICIENT)
    raw = call.request.param("ids")
    body = _body(call)
    dated = body.get("timestamped_ids")
    if dated is not None:
        if not isinstance(dated, list) or not all(
            isinstance(d, dict)
            and isinstance(d.get("id"), str)
            and isinstance(d.get("added_at"), str)
            for d in dated
        ):
            return api_error(400, "Malformed timestamped_ids")
        wanted = [str(d["id"]) for d in dated]
        times = [_epoch(str(d["added_at"])) for d in dated]
    else:
        given = body.get("ids") if raw is None else raw.split(",")
        if not isinstance(given, list) or not all(isinstance(i, str) for i in given):
            return api_error(400, "Missing required field: ids")
        wanted, times = list(given), []
    if not wanted:
        return api_error(400, "Missing required field: ids")
    if len(wanted) > MAX_TRACK_IDS_PER_CALL:
        return api_error(400, "Too many ids requested")
    catalog = api.state.libraries.catalog
    indexes = [catalog.track_index(i) for i in wanted]
    if None in indexes:
        return api_error(400, "Invalid base62 id")
    tracks = [i for i in indexes if i is not None]
    writes = api.state.libraries.writes
    if dated is not None:
        writes.save_dated(call.library, tracks, times)
    else:
        writes.save(call.library, [f"spotify:track:{i}" for i in wanted])
    return Response(200, b"")


def _epoch(value: str) -> int:
    """An ISO 8601 time (Spotify's `...Z`) as epoch seconds; BadUri (400) when it is not."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadUri(f"Invalid added_at: {value}") from None
    if moment.tzinfo is None:
        raise BadUri(f"Invalid added_at (no time zone): {value}")
    return int(moment.timestamp())


@router.route("PUT", "/v1/me/following")
@_answer
def follow(api: Api, call: Call) -> Response:
    # Deprecated, and gone for development-mode apps, with no /me/library replacement for
    # artists: following cannot be restored there.
    if api.state.mode == "2026":
        return api_error(404, NOT_FOUND)
    if "user-follow-modify" not in call.scope:
        return api_error(403, INSUFFICIENT)
    raw = call.request.param("ids") or ""
    wanted = [i for i in raw.split(",") if i] or list(_body(call).get("ids") or [])
    catalog = api.state.libraries.catalog
    indexes = [catalog.artist_index(str(i)) for i in wanted]
    if not wanted or len(wanted) > 50 or None in indexes:
        return api_error(400, "Invalid ids")
    library = call.library
    with api.state.libraries.lock:
        library.artists = api.state.libraries.by_artist_id(
            set(library.artists) | {i for i in indexes if i is not None}
        )
    return Response(204, b"")
