"""Request bodies as people type them (docs/api.md "Requests and responses"): a JSON body is
read as JSON whatever its Content-Type says, and JSON that does not parse is answered with
where it stopped parsing."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from pydantic import BeforeValidator

from gateway.routing import PrefixRoute

JSON = b"application/json"


def _whole(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# For an integer field of a strict model (`Annotated[int | None, WHOLE] = Field(ge=...)`):
# JSON has one kind of number, 30.0 is the integer 30 to JSON Schema (and to a JavaScript
# client, which cannot tell them apart), so it is taken as 30; 30.5 and "30" stay refused.
WHOLE = BeforeValidator(_whole)


def is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


class JsonBodyRoute(PrefixRoute):
    """A route whose body is JSON takes it as JSON under any Content-Type, or none:
    `curl -d '{"kinds": ["tracks"]}'` sends application/x-www-form-urlencoded, and the person
    meant JSON. (Accepting such "simple" requests opens no cross-site hole: every route that
    acts needs an Authorization header, which no form or cross-site script can send
    unasked.)

    Every route of the gateway is one (or a NoStoreRoute, which is one), and so is matched
    by its literal start first (gateway.routing)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        if self.body_field is None:
            return handle

        async def route(request: Request) -> Response:
            if not is_json(request.headers.get("content-type", "")):
                scope = request.scope
                scope["headers"] = [
                    (name, value) for name, value in scope["headers"] if name != b"content-type"
                ] + [(b"content-type", JSON)]
                request = Request(scope, request.receive)
            return await handle(request)

        return route


def json_error_message(reason: str, document: Any, position: int) -> str:
    """ "the body is not JSON: Expecting ',' delimiter at line 1, column 12 (offset 11)":
    lines and columns counted from 1, as editors count them; the offset in characters from
    0."""
    text = document if isinstance(document, str) else ""
    line = text.count("\n", 0, position) + 1
    column = position - text.rfind("\n", 0, position)
    return f"the body is not JSON: {reason} at line {line}, column {column} (offset {position})"
