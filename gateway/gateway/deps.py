"""Request dependencies: the backends, and the authenticated user (checked in one place)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from tapedeck.auth.v1 import auth_pb2

from gateway.backends import Backends
from gateway.observe import note_user
from kit import errors


def get_backends(request: Request) -> Backends:
    backends: Backends = request.app.state.backends
    return backends


BackendsDep = Annotated[Backends, Depends(get_backends)]


# Declares the scheme in the OpenAPI document (the Authorize button of /docs); the header is
# read below, so that every way of getting it wrong is answered the same 401.
_BEARER = HTTPBearer(
    scheme_name="bearer", description="a Tapedeck token, from a login", auto_error=False
)


def bearer_token(
    request: Request, _declared: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)]
) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise errors.Unauthenticated("an Authorization: Bearer token is required")
    return token.strip()


BearerToken = Annotated[str, Depends(bearer_token)]


@dataclass(frozen=True)
class User:
    id: str
    spotify_id: str


async def current_user(request: Request, token: BearerToken, backends: BackendsDep) -> User:
    """Every /api request goes through the auth service: signature, expiry, revocation and
    the user's Spotify authorization are all checked there."""
    answer = await backends.auth.Authenticate(auth_pb2.AuthenticateRequest(token=token))
    note_user(request.scope, answer.user_id)
    return User(id=answer.user_id, spotify_id=answer.spotify_user_id)


CurrentUser = Annotated[User, Depends(current_user)]
