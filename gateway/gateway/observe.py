"""What every request did, by route template: Prometheus request metrics, and one JSON
access-log line (method, route, status, duration, the user once authenticated). Neither
ever holds a path's ids, a query string or a header: a token could be in any of them."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import Counter, Histogram
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUESTS = Counter("tapedeck_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "tapedeck_http_request_duration_seconds", "HTTP request latency", ["method", "route"]
)

UNMATCHED = "unmatched"
# The request state's key for the authenticated user, for the access-log line.
_USER_ID = "user_id"

access_log = logging.getLogger("gateway.access")


def note_user(scope: Scope, user_id: str) -> None:
    """Who made the request, once authenticated (gateway.deps): its access-log line says."""
    scope.setdefault("state", {})[_USER_ID] = user_id


def route_template(scope: Scope) -> str:
    """The template of the route that served the request (`/api/v1/playlists/{playlist_id}`),
    never the raw path: ids must not explode the label set. FastAPI notes its own routes in
    the scope; Starlette's plain routes (`/docs`, `/openapi.json`), and any route of a
    request answered before routing, are matched again here."""
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    for route in every_route(getattr(scope.get("app"), "routes", [])):
        candidate = getattr(route, "path", None)
        if isinstance(candidate, str) and route.matches(scope)[0] is not Match.NONE:
            return candidate
    return UNMATCHED


def every_route(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, those of included routers too (FastAPI keeps them in `original_router`):
    a request refused before routing (413) is still counted under its route."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from every_route(included.routes)
        else:
            yield route


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500
        state: dict[str, Any] = scope.setdefault("state", {})

        async def recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            elapsed = time.perf_counter() - began
            method, route = scope["method"], route_template(scope)
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            line: dict[str, Any] = {
                "method": method,
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 1),
            }
            if state.get(_USER_ID):
                line["user_id"] = state[_USER_ID]
            access_log.info("request", extra=line)
