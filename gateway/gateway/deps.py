"""Request dependencies: the backends, and the authenticated user (checked in one place)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from tapedeck.auth.v1 import auth_pb2

from gateway.backends import Backends
from gateway.observe import note_user
from kit import errors


def get_backends(request: Request) -> Backends:
    backends: Backends = request.app.state.backends
    return backends


BackendsDep = Annotated[Backends, Depends(get_backends)]


def bearer_token(request: Request) -> str:
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
