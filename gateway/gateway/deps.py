"""Request dependencies: the backends, and the authenticated user (checked in one place).

Every dependency is `async def`, though none awaits: FastAPI runs a plain `def` dependency in
its thread pool, a hand-off to a worker thread and back that cost more than the whole token
check (bench/README.md). The hot routes (/me, the library reads) take the backends and
the read cache from the app themselves (`backends_of`) rather than as dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.backends import Backends
from gateway.observe import note_user
from gateway.sessions import Sessions, User
from kit import errors


def backends_of(request: Request) -> Backends:
    backends: Backends = request.app.state.backends
    return backends


async def get_backends(request: Request) -> Backends:
    return backends_of(request)


BackendsDep = Annotated[Backends, Depends(get_backends)]


# Declares the scheme in the OpenAPI document (the Authorize button of /docs); the header is
# read below, so that every way of getting it wrong is answered the same 401.
_BEARER = HTTPBearer(
    scheme_name="bearer",
    description="a Tapedeck token: from a login, a recovery code, or a personal access token",
    auto_error=False,
)

Declared = Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)]


def _token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthenticated("an Authorization: Bearer token is required")
    return token.strip()


async def bearer_token(request: Request, _declared: Declared) -> str:
    return _token(request)


BearerToken = Annotated[str, Depends(bearer_token)]


def sessions_of(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


async def get_sessions(request: Request) -> Sessions:
    return sessions_of(request)


SessionsDep = Annotated[Sessions, Depends(get_sessions)]


async def current_user(request: Request, _declared: Declared) -> User:
    """Every /api request is checked here (gateway.sessions): signature, issuer, audience,
    expiry and revocation, mostly without a call to the auth service. A user whose Spotify
    authorization is lost still passes: routes that must call Spotify refuse them.

    One dependency, not three (the token, the sessions): each costs every request FastAPI's
    resolution."""
    token = _token(request)  # first: a request without one is refused before anything
    user = await sessions_of(request).authenticate(token)
    note_user(request.scope, user.id)
    return user


CurrentUser = Annotated[User, Depends(current_user)]
