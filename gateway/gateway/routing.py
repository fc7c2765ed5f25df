"""How a request finds its route, made cheap: Starlette tries the app's routes one by one,
and FastAPI's `matches` of each costs a few microseconds, so a read near the end of the list
paid more for finding its route than for checking its token (bench/README.md)."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import Scope


class PrefixRoute(APIRoute):
    """An APIRoute that first compares the request's path with the literal start of its own
    (everything before the first `{`), which its path's regular expression begins with: a
    path that does not start so cannot match, and is turned away without the full match.
    Anything else (a root path, a websocket) is matched as APIRoute does."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.literal_start = self.path.split("{", 1)[0]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if (
            scope["type"] == "http"
            and not scope.get("root_path")
            and not scope["path"].startswith(self.literal_start)
        ):
            return Match.NONE, {}
        return super().matches(scope)
