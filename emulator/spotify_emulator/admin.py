"""The admin API under /_emulator/, for processes that do not hold the Emulator object
(benchmarks, `make run`). Not counted in stats and never faulted."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from spotify_emulator.config import Faults
from spotify_emulator.faults import faults_from_json, faults_to_json
from spotify_emulator.messages import Request, Response, json_response
from spotify_emulator.routing import Router

if TYPE_CHECKING:
    from spotify_emulator.emulator import Emulator

Handler = Callable[["Admin", Request, dict[str, str]], Response]
router: Router[Handler] = Router()

# The library edits the admin API exposes, by URL segment.
_EDITS = {
    "like-tracks": "like_tracks",
    "unlike-tracks": "unlike_tracks",
    "save-albums": "save_albums",
    "remove-albums": "remove_albums",
    "follow-artists": "follow_artists",
    "unfollow-artists": "unfollow_artists",
}


def _error(status: int, message: str) -> Response:
    return json_response(status, {"error": {"status": status, "message": message}})


class Admin:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def handle(self, request: Request) -> Response:
        matched = router.match(request.method, request.path)
        if matched is None:
            return _error(404, "No such admin route")
        route, params = matched
        try:
            return route.handler(self, request, params)
        except (ValueError, TypeError, KeyError, json.JSONDecodeError) as bad:
            return _error(400, f"Bad request: {bad}")

    @router.route("GET", "/_emulator/health")
    def health(self, request: Request, params: dict[str, str]) -> Response:
        emu = self.emulator
        return json_response(200, {"status": "ok", "mode": emu.mode, "api_url": emu.api_url})

    @router.route("GET", "/_emulator/stats")
    def stats(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, self.emulator.stats())

    @router.route("GET", "/_emulator/writes")
    def writes(self, request: Request, params: dict[str, str]) -> Response:
        """Write requests by route, and their total (Emulator.writes)."""
        return json_response(200, self.emulator.writes())

    @router.route("POST", "/_emulator/stats/reset")
    def reset_stats(self, request: Request, params: dict[str, str]) -> Response:
        self.emulator.reset_stats()
        return json_response(200, self.emulator.stats())

    @router.route("GET", "/_emulator/faults")
    def faults(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, faults_to_json(self.emulator.faults))

    @router.route("PUT", "/_emulator/faults")
    def set_faults(self, request: Request, params: dict[str, str]) -> Response:
        # Fields left out are reset to their defaults, as Faults(**body) would.
        self.emulator.set_faults(faults_from_json(_object(request), Faults()))
        return json_response(200, faults_to_json(self.emulator.faults))

    @router.route("GET", "/_emulator/mode")
    def mode(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, {"mode": self.emulator.mode})

    @router.route("PUT", "/_emulator/mode")
    def set_mode(self, request: Request, params: dict[str, str]) -> Response:
        body = request.json()
        self.emulator.set_mode(body["mode"] if isinstance(body, dict) else str(body))
        return json_response(200, {"mode": self.emulator.mode})

    @router.route("PUT", "/_emulator/token-ttl")
    def set_token_ttl(self, request: Request, params: dict[str, str]) -> Response:
        self.emulator.set_token_ttl(int(_object(request)["seconds"]))
        return json_response(200, {"seconds": self.emulator.token_ttl_s})

    @router.route("POST", "/_emulator/expire-access-tokens")
    def expire(self, request: Request, params: dict[str, str]) -> Response:
        user_id = _object(request).get("user_id")
        return json_response(200, {"expired": self.emulator.expire_access_tokens(user_id)})

    @router.route("POST", "/_emulator/users/{id}/revoke-refresh-tokens")
    def revoke(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(200, {"revoked": self.emulator.revoke_refresh_tokens(params["id"])})

    @router.route("POST", "/_emulator/users/{id}/token")
    def token(self, request: Request, params: dict[str, str]) -> Response:
        body = _object(request)
        if "scope" in body:
            return json_response(200, self.emulator.issue_token(params["id"], str(body["scope"])))
        return json_response(200, self.emulator.issue_token(params["id"]))

    @router.route("GET", "/_emulator/users/{id}")
    def summary(self, request: Request, params: dict[str, str]) -> Response:
        user = self.emulator.user(params["id"])
        return json_response(
            200, {"id": user.id, **user.summary(), "playlist_ids": user.playlist_ids()}
        )

    @router.route("POST", "/_emulator/users/{id}/playlists/{pid}/change")
    def change(self, request: Request, params: dict[str, str]) -> Response:
        body = _object(request)
        user = self.emulator.user(params["id"])
        try:
            snapshot = user.change_playlist(
                params["pid"], add=int(body.get("add", 2)), remove=int(body.get("remove", 1))
            )
        except KeyError:
            return _error(404, "No such playlist")
        return json_response(200, {"snapshot_id": snapshot})

    @router.route("POST", "/_emulator/users/{id}/playlists/{pid}/edit")
    def edit_playlist(self, request: Request, params: dict[str, str]) -> Response:
        """Body: any of "name", "description", "items" (each an int, the current position
        of an item to keep, or a track URI to add): spotify_emulator.playlist_edits."""
        body = _object(request)
        items = body.get("items")
        if items is not None and not all(isinstance(i, int | str) for i in items):
            raise ValueError("items are positions (int) or track URIs (str)")
        user = self.emulator.user(params["id"])
        try:
            snapshot = user.edit_playlist(
                params["pid"],
                name=body.get("name"),
                description=body.get("description"),
                items=items,
            )
        except KeyError:
            return _error(404, "No such playlist")
        except IndexError:
            return _error(400, "Bad request: no item at that position")
        return json_response(200, {"snapshot_id": snapshot})

    @router.route("POST", "/_emulator/users/{id}/playlists/{pid}/unfollow")
    def unfollow_playlist(self, request: Request, params: dict[str, str]) -> Response:
        try:
            self.emulator.user(params["id"]).unfollow_playlist(params["pid"])
        except KeyError:
            return _error(404, "No such playlist")
        return json_response(200, {"unfollowed": params["pid"]})

    @router.route("POST", "/_emulator/users/{id}/{edit}")
    def edit(self, request: Request, params: dict[str, str]) -> Response:
        method = _EDITS.get(params["edit"])
        if method is None:
            return _error(404, "No such admin route")
        n = int(_object(request).get("n", 1))
        changed = getattr(self.emulator.user(params["id"]), method)(n)
        return json_response(200, {"changed": changed})


def _object(request: Request) -> dict[str, Any]:
    body = request.json()
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body
