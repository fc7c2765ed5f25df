"""The Web API under /v1: the routes Tapedeck reads, in 2026 or legacy shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spotify_emulator import fields, ids, lists
from spotify_emulator.library import Playlist, UserLibrary
from spotify_emulator.messages import Request, Response, api_error, json_response
from spotify_emulator.paging import BadParameter, limit_of, offset_of, others, page, page_url
from spotify_emulator.routing import Router
from spotify_emulator.shapes import items_max_limit
from spotify_emulator.state import State

Json = dict[str, Any]
NOT_FOUND = "Service not found"  # what Spotify answers for a path it does not serve
NO_RESOURCE = "Resource not found"
_LIBRARY_SCOPE = "user-library-read"
_FOLLOW_SCOPE = "user-follow-read"


@dataclass(frozen=True)
class Call:
    request: Request
    params: dict[str, str]
    user_id: str
    scope: frozenset[str]
    library: UserLibrary


Handler = Callable[["Api", Call], Response]
router: Router[Handler] = Router()


class Api:
    def __init__(self, state: State) -> None:
        self.state = state

    def answer(self, handler: Handler, call: Call) -> Response:
        try:
            return handler(self, call)
        except BadParameter as bad:
            return api_error(400, str(bad))

    def _json(self, payload: Any) -> Response:
        return json_response(200, payload)

    def _page(
        self, call: Call, path: str, items: list[Any], offset: int, limit: int, total: int
    ) -> Response:
        return self._json(
            page(self.state.links, path, items, offset, limit, total, others(call.request.query))
        )

    def _playlist(self, call: Call) -> Playlist | None:
        return self.state.libraries.playlist(call.params["id"])

    @staticmethod
    def _filtered(call: Call, payload: Json) -> Response:
        spec = call.request.param("fields")
        if spec:
            try:
                payload = fields.apply(payload, fields.parse(spec))
            except fields.BadFields:
                return api_error(400, "Invalid fields")
        return json_response(200, payload)

    # Profile and playlists

    @router.route("GET", "/v1/me")
    def me(self, call: Call) -> Response:
        return self._json(self.state.shapes.me(call.library, self.state.mode))

    @router.route("GET", "/v1/me/playlists")
    def my_playlists(self, call: Call) -> Response:
        limit, offset = limit_of(call.request.query, 50), offset_of(call.request.query)
        items, total = lists.my_playlists(self.state, call.library, offset, offset + limit)
        return self._page(call, "/me/playlists", items, offset, limit, total)

    @router.route("GET", "/v1/users/{id}/playlists")
    def user_playlists(self, call: Call) -> Response:
        if self.state.mode == "2026":
            return api_error(404, NOT_FOUND)
        limit, offset = limit_of(call.request.query, 50), offset_of(call.request.query)
        owner = call.params["id"]
        if owner == call.user_id:
            items, total = lists.my_playlists(self.state, call.library, offset, offset + limit)
        else:
            theirs = self.state.libraries.playlists_owned_by(owner)
            total = len(theirs)
            items = [
                self.state.shapes.simplified_playlist(p, self.state.mode)
                for p in theirs[offset : offset + limit]
            ]
        return self._page(call, f"/users/{owner}/playlists", items, offset, limit, total)

    @router.route("GET", "/v1/playlists/{id}")
    def playlist(self, call: Call) -> Response:
        found = self._playlist(call)
        if found is None:
            return api_error(404, NO_RESOURCE)
        return self._filtered(
            call, self.state.shapes.playlist(found, call.user_id, self.state.mode)
        )

    @router.route("GET", "/v1/playlists/{id}/items")
    def playlist_items(self, call: Call) -> Response:
        return self._items(call, "items")

    @router.route("GET", "/v1/playlists/{id}/tracks")
    def playlist_tracks(self, call: Call) -> Response:
        # Development-mode apps lost /tracks in February 2026.
        if self.state.mode == "2026":
            return api_error(404, NOT_FOUND)
        return self._items(call, "tracks")

    def _items(self, call: Call, route: str) -> Response:
        mode = self.state.mode
        maximum = 100 if route == "tracks" else items_max_limit(mode)
        limit, offset = limit_of(call.request.query, maximum), offset_of(call.request.query)
        found = self._playlist(call)
        if found is None:
            return api_error(404, NO_RESOURCE)
        if self.state.shapes.withheld(found, call.user_id, mode):
            return api_error(403, "Forbidden")
        raw = not call.request.param("fields")
        items, total = self.state.shapes.items(found, offset, offset + limit, mode, raw)
        body = page(
            self.state.links,
            f"/playlists/{found.id}/{route}",
            items,
            offset,
            limit,
            total,
            others(call.request.query),
        )
        return self._filtered(call, body)

    # Library

    @router.route("GET", "/v1/me/tracks")
    def liked(self, call: Call) -> Response:
        if _LIBRARY_SCOPE not in call.scope:
            return api_error(403, "Insufficient client scope")
        limit, offset = limit_of(call.request.query, 50), offset_of(call.request.query)
        items, total = lists.liked(self.state, call.library, offset, offset + limit, raw=True)
        return self._page(call, "/me/tracks", items, offset, limit, total)

    @router.route("GET", "/v1/me/albums")
    def saved_albums(self, call: Call) -> Response:
        if _LIBRARY_SCOPE not in call.scope:
            return api_error(403, "Insufficient client scope")
        limit, offset = limit_of(call.request.query, 50), offset_of(call.request.query)
        items, total = lists.saved_albums(self.state, call.library, offset, offset + limit, True)
        return self._page(call, "/me/albums", items, offset, limit, total)

    @router.route("GET", "/v1/me/following")
    def followed(self, call: Call) -> Response:
        query = call.request.query
        kind = call.request.param("type")
        if kind is None:
            return api_error(400, "Missing parameter type")
        if kind != "artist":
            return api_error(400, "Bad search type field")
        if _FOLLOW_SCOPE not in call.scope:
            return api_error(403, "Insufficient client scope")
        limit = limit_of(query, 50)
        after = call.request.param("after")
        items, shown, total, more = lists.followed(self.state, call.library, after, limit, raw=True)
        last = shown[-1] if shown and more else None
        rest = others(query, "after", "type")

        def url(cursor: str | None) -> str:
            pairs = [
                ("type", "artist"),
                *([("after", cursor)] if cursor else []),
                ("limit", str(limit)),
                *rest,
            ]
            return page_url(self.state.links, "/me/following", pairs)

        return self._json(
            {
                "artists": {
                    "cursors": {"after": last},
                    "href": url(after),
                    "items": items,
                    "limit": limit,
                    "next": url(last) if last else None,
                    "total": total,
                }
            }
        )

    @router.route("GET", "/v1/albums/{id}/tracks")
    def album_tracks(self, call: Call) -> Response:
        limit, offset = limit_of(call.request.query, 50), offset_of(call.request.query)
        album = self.state.catalog.album_index(call.params["id"])
        if album is None:
            return self._unknown(call.params["id"])
        items, total = lists.album_tracks(self.state, album, offset, offset + limit, raw=True)
        return self._page(call, f"/albums/{call.params['id']}/tracks", items, offset, limit, total)

    # Single lookups (still there for development-mode apps)

    @router.route("GET", "/v1/tracks/{id}")
    def track(self, call: Call) -> Response:
        index = self.state.catalog.track_index(call.params["id"])
        return (
            self._unknown(call.params["id"])
            if index is None
            else self._json(self.state.objects.track(index))
        )

    @router.route("GET", "/v1/albums/{id}")
    def album(self, call: Call) -> Response:
        index = self.state.catalog.album_index(call.params["id"])
        return (
            self._unknown(call.params["id"])
            if index is None
            else self._json(self.state.objects.album(index))
        )

    @router.route("GET", "/v1/artists/{id}")
    def artist(self, call: Call) -> Response:
        index = self.state.catalog.artist_index(call.params["id"])
        return (
            self._unknown(call.params["id"])
            if index is None
            else self._json(self.state.objects.artist(index))
        )

    @router.route("GET", "/v1/episodes/{id}")
    def episode(self, call: Call) -> Response:
        index = self.state.catalog.episode_index(call.params["id"])
        return (
            self._unknown(call.params["id"])
            if index is None
            else self._json(self.state.objects.episode(index))
        )

    @router.route("GET", "/v1/users/{id}")
    def user(self, call: Call) -> Response:
        return self._json(self.state.shapes.public_user(call.params["id"]))

    @staticmethod
    def _unknown(spotify_id: str) -> Response:
        if not ids.is_base62(spotify_id):
            return api_error(400, "Invalid base62 id")
        return api_error(404, NO_RESOURCE)

    # Bulk lookups: gone for development-mode apps since February 2026.

    @router.route("GET", "/v1/tracks")
    def tracks(self, call: Call) -> Response:
        return self._bulk(
            call, "tracks", 50, self.state.catalog.track_index, self.state.objects.track
        )

    @router.route("GET", "/v1/albums")
    def albums(self, call: Call) -> Response:
        return self._bulk(
            call, "albums", 20, self.state.catalog.album_index, self.state.objects.album
        )

    @router.route("GET", "/v1/artists")
    def artists(self, call: Call) -> Response:
        return self._bulk(
            call, "artists", 50, self.state.catalog.artist_index, self.state.objects.artist
        )

    def _bulk(
        self,
        call: Call,
        key: str,
        maximum: int,
        index_of: Callable[[str], int | None],
        render: Callable[[int], Json],
    ) -> Response:
        if self.state.mode == "2026":
            return api_error(404, NOT_FOUND)
        raw = call.request.param("ids")
        if not raw:
            return api_error(400, "Missing required field: ids")
        wanted = raw.split(",")
        if len(wanted) > maximum:
            return api_error(400, "Too many ids requested")
        if not all(ids.is_base62(w) for w in wanted):
            return api_error(400, "Invalid base62 id")
        found = [index_of(w) for w in wanted]
        return self._json({key: [None if i is None else render(i) for i in found]})
