"""The one table between Tapedeck's typed errors and gRPC status codes, both ways."""

from __future__ import annotations

from typing import Any

import grpc

from kit import errors

# Trailing metadata that carries the error code of docs/api.md (and Retry-After) across a call.
ERROR_CODE_KEY = "tapedeck-error-code"
RETRY_AFTER_KEY = "tapedeck-retry-after"

_TO_STATUS: list[tuple[type[errors.TapedeckError], grpc.StatusCode]] = [
    (errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (errors.Conflict, grpc.StatusCode.ALREADY_EXISTS),
    (errors.Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (errors.FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (errors.Unavailable, grpc.StatusCode.UNAVAILABLE),
    (errors.RateLimited, grpc.StatusCode.RESOURCE_EXHAUSTED),
]

_FROM_STATUS: dict[grpc.StatusCode, type[errors.TapedeckError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: errors.InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: errors.InvalidArgument,
    grpc.StatusCode.NOT_FOUND: errors.NotFound,
    grpc.StatusCode.ALREADY_EXISTS: errors.Conflict,
    grpc.StatusCode.UNAUTHENTICATED: errors.Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: errors.PermissionDenied,
    grpc.StatusCode.FAILED_PRECONDITION: errors.FailedPrecondition,
    grpc.StatusCode.UNAVAILABLE: errors.Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: errors.Unavailable,
    grpc.StatusCode.CANCELLED: errors.Unavailable,
}


def status_of(error: errors.TapedeckError) -> grpc.StatusCode:
    for cls, code in _TO_STATUS:
        if isinstance(error, cls):
            return code
    return grpc.StatusCode.INTERNAL


# gRPC's retry policy (kit.channels) retries UNAVAILABLE, meant for calls that never reached
# a server. A negative server push-back tells the client's retry logic not to retry a call
# the service itself answered UNAVAILABLE (gRFC A6): it may have done part of its work.
NO_RETRY = ("grpc-retry-pushback-ms", "-1")


def trailers_of(error: errors.TapedeckError) -> tuple[tuple[str, str], ...]:
    trailers = [(ERROR_CODE_KEY, error.code)]
    if isinstance(error, errors.RateLimited):
        trailers.append((RETRY_AFTER_KEY, str(error.retry_after_s)))
    if status_of(error) == grpc.StatusCode.UNAVAILABLE:
        trailers.append(NO_RETRY)
    return tuple(trailers)


def error_from_rpc(exc: grpc.RpcError) -> errors.TapedeckError:
    """The typed error a failed call stands for, so callers handle errors one way."""
    code = exc.code()  # type: ignore[attr-defined]
    message = exc.details() or code.name  # type: ignore[attr-defined]
    metadata: Any = exc.trailing_metadata() or ()  # type: ignore[attr-defined]
    trailers = {str(key): str(value) for key, value in metadata}
    api_code = trailers.get(ERROR_CODE_KEY)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED and RETRY_AFTER_KEY in trailers:
        return errors.RateLimited(message, retry_after_s=int(trailers[RETRY_AFTER_KEY]))
    if api_code == errors.SpotifyAuthorizationLost.code:
        return errors.SpotifyAuthorizationLost(message)
    cls = _FROM_STATUS.get(code, errors.TapedeckError)
    return cls(message, code=api_code) if api_code else cls(message)
