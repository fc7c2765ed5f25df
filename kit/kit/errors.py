"""Typed errors the logic raises. Mapped to gRPC status once (kit.interceptors) and to HTTP
once (the gateway). This module imports neither grpc nor any web framework."""

from __future__ import annotations


class TapedeckError(Exception):
    """Base of every expected error. `code` is the snake_case error code of docs/api.md."""

    code = "internal"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidArgument(TapedeckError):
    code = "bad_request"


class NotFound(TapedeckError):
    code = "not_found"


class Conflict(TapedeckError):
    code = "conflict"


class Unauthenticated(TapedeckError):
    code = "invalid_token"


class SpotifyAuthorizationLost(Unauthenticated):
    """The user's Spotify refresh token no longer works: they must log in again."""

    code = "spotify_authorization_lost"


class PermissionDenied(TapedeckError):
    code = "forbidden"


class FailedPrecondition(TapedeckError):
    code = "conflict"


class Unavailable(TapedeckError):
    code = "service_unavailable"


def required(value: str, name: str) -> str:
    """`value`, when it is given: every internal call names its user, and most their save."""
    if not value:
        raise InvalidArgument(f"{name} is required")
    return value


class RateLimited(TapedeckError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
