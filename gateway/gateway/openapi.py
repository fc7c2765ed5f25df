"""The OpenAPI document at /openapi.json, made for client generators: the errors each route
can answer, each with the error body of docs/api.md, and nothing else in their place."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from gateway.schemas import ConflictBody, ErrorBody, NotReadyBody, Save

_MEANING = {
    400: 'refused input: see the message (docs/api.md "Errors")',
    401: "invalid_token: no Bearer token, or one that is invalid, expired or revoked; or "
    "spotify_authorization_lost",
    403: "forbidden: not allowed from where the request came (/metrics without "
    "TAPEDECK_METRICS_TOKEN: a client that is not on a loopback address)",
    404: "not_found: no such object for this user, a malformed id, or a save without that kind",
    409: "conflict: a save is already running; it is under `save`",
    413: "payload_too_large: the body is over TAPEDECK_MAX_BODY_BYTES",
    422: "invalid_request: a parameter or body field out of range or of the wrong type, or a "
    "body that is not JSON; the message names the field or where parsing stopped",
    429: "rate_limited: too many at once (pending logins, event streams, saves); try again "
    "after Retry-After seconds",
    500: "internal: a bug; the details are in the server's log",
    503: "service_unavailable: a backend service is down or restarting; try again after "
    "Retry-After seconds",
}

_RETRY_AFTER = {
    "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}},
}

_MODELS: dict[int, type[ErrorBody]] = {409: ConflictBody}


def error_responses(
    *statuses: int, beside: str = "", meanings: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route for the errors it can answer. `beside`: the route's own
    media type when it is not JSON (FastAPI would give its errors that type too).
    `meanings`: what a status means on this route when not the usual (a 409 that is not a
    running save's has the plain error body)."""
    answers: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        own = (meanings or {}).get(status)
        model = ErrorBody if own is not None else _MODELS.get(status, ErrorBody)
        answer: dict[str, Any] = {"description": own or _MEANING[status]}
        if beside:
            ref = f"#/components/schemas/{model.__name__}"
            answer["content"] = {"application/json": {"schema": {"$ref": ref}}}
        else:
            answer["model"] = model
        if status in (429, 503):
            answer["headers"] = _RETRY_AFTER
        answers[status] = answer
    return answers


def not_ready() -> dict[int | str, dict[str, Any]]:
    """/readyz's 503 carries each backend's state next to the error."""
    return {
        503: {
            "model": NotReadyBody,
            "description": "some backend is not serving; `services` says which",
            "headers": _RETRY_AFTER,
        }
    }


def _event(names: list[str], data: type[BaseModel], meaning: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": meaning,
        "required": ["event", "data"],
        "properties": {
            "event": {"enum": names},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": f"#/components/schemas/{data.__name__}"},
            },
        },
    }


def save_event_stream() -> dict[str, Any]:
    """A save's event stream: in OpenAPI 3.1 an event stream's `schema` is that of each
    event, as its fields (`event`, `data`) read; the data is JSON text."""
    return {
        "content": {
            "text/event-stream": {
                "schema": {
                    "oneOf": [
                        _event(["progress", "done"], Save, "the save as it is now; last, `done`"),
                        _event(["error"], ErrorBody, "the stream ends before the save did"),
                    ]
                }
            }
        }
    }


# Every route under /api/v1/ and logout need the token; every route that asks a backend
# service may find it gone; any route may meet a bug.
AUTHENTICATED = (401, 503, 500)


def install(app: FastAPI) -> None:
    """FastAPI documents a 422 of its own shape on every route with parameters; routes here
    declare their 422 (the error body) where one can happen, and the rest is dropped."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    answer = operation.get("responses", {}).get("422", {})
                    ref = answer.get("content", {}).get("application/json", {}).get("schema", {})
                    if ref.get("$ref", "").endswith("/HTTPValidationError"):
                        del operation["responses"]["422"]
            schemas = schema.get("components", {}).get("schemas", {})
            for name in ("HTTPValidationError", "ValidationError"):
                schemas.pop(name, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]
