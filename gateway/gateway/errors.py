"""The one table from errors to HTTP statuses and the error body of docs/api.md."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import grpc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from gateway import observe
from gateway.bodies import json_error_message
from kit import errors
from kit.status import error_from_rpc

log = logging.getLogger(__name__)

RETRY_AFTER_UNAVAILABLE_S = 5

_STATUS: list[tuple[type[errors.TapedeckError], int]] = [
    (errors.Unauthenticated, 401),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.FailedPrecondition, 409),
    (errors.RateLimited, 429),
    (errors.Unavailable, 503),
    (errors.InvalidArgument, 400),
]

_HTTP_CODES = {
    400: "bad_request",
    401: "invalid_token",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid_request",
    429: "rate_limited",
    503: "service_unavailable",
}


class ConflictWith(errors.Conflict):
    """A conflict whose answer also carries what it conflicts with (docs/api.md: a second save
    gets 409 with the running save): `extra` is merged into the error body."""

    def __init__(self, message: str, extra: Mapping[str, Any]) -> None:
        super().__init__(message)
        self.extra = dict(extra)


class ForbiddenWith(errors.PermissionDenied):
    """A 403 whose answer says what to do (docs/api.md: `scope_required` with the
    `login_url` that asks for the missing consent): `extra` is merged into the error body."""

    def __init__(self, message: str, extra: Mapping[str, Any], *, code: str) -> None:
        super().__init__(message, code=code)
        self.extra = dict(extra)


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"error": {"status": status, "code": code, "message": message}, **(extra or {})},
        status_code=status,
        headers=headers,
    )


def response_for(error: errors.TapedeckError) -> JSONResponse:
    """The error body of docs/api.md for a typed error; its `code` is already the API's
    snake_case code."""
    status = next((status for cls, status in _STATUS if isinstance(error, cls)), 500)
    if status == 500:
        log.error("unmapped error", extra={"error_type": type(error).__name__})
        return error_response(500, "internal", "internal error")
    if isinstance(error, errors.RateLimited):
        return error_response(
            status, error.code, error.message, {"Retry-After": str(error.retry_after_s)}
        )
    if isinstance(error, errors.Unavailable):
        # The backend's own words may name hosts; say only what the client can act on.
        return error_response(
            status,
            "service_unavailable",
            "a backend service is unavailable; try again shortly",
            {"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)},
        )
    if isinstance(error, ConflictWith | ForbiddenWith):
        return error_response(status, error.code, error.message, extra=error.extra)
    return error_response(status, error.code, error.message)


def allowed_methods(request: Request) -> str:
    """Every method of every route at the request's path. Starlette's 405 names only the first
    route it matched, and a path often has one route per method (GET and POST
    /api/v1/library/saves)."""
    methods: set[str] = set()
    for route in observe.every_route(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    @app.exception_handler(errors.TapedeckError)
    async def _typed(_request: Request, exc: errors.TapedeckError) -> JSONResponse:
        return response_for(exc)

    @app.exception_handler(grpc.RpcError)
    async def _rpc(_request: Request, exc: grpc.RpcError) -> JSONResponse:
        return response_for(error_from_rpc(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            # FastAPI's loc is ("body", offset): say where, not "11: JSON decode error".
            reason = str(first.get("ctx", {}).get("error", "invalid JSON"))
            offset = first["loc"][-1] if isinstance(first["loc"][-1], int) else 0
            # Syntax is 400 bad_request; JSON of the wrong shape, 422 invalid_request.
            return error_response(400, "bad_request", json_error_message(reason, exc.body, offset))
        field = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path"))
        message = (
            f"{field}: {first.get('msg', 'invalid')}" if field else first.get("msg", "invalid")
        )
        return error_response(422, "invalid_request", message)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        headers = exc.headers
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": allowed_methods(request)}
        return error_response(exc.status_code, code, str(exc.detail), headers)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return error_response(500, "internal", "internal error")
