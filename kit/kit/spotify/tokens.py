"""A user's Spotify access token, from the auth service, for services that call Spotify."""

from __future__ import annotations

import grpc
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc

from kit.spotify.client import TokenSource
from kit.status import error_from_rpc


class AuthTokens:
    """Asks the auth service (over a channel made once per process) for users' tokens."""

    def __init__(self, channel: grpc.Channel, timeout_s: float) -> None:
        self._stub = auth_pb2_grpc.AuthServiceStub(channel)
        self._timeout_s = timeout_s

    def for_user(self, user_id: str) -> TokenSource:
        def token(rejected: str | None) -> str:
            try:
                answer = self._stub.GetSpotifyToken(
                    auth_pb2.GetSpotifyTokenRequest(user_id=user_id, rejected_token=rejected or ""),
                    timeout=self._timeout_s,
                )
            except grpc.RpcError as exc:
                raise error_from_rpc(exc) from None
            return str(answer.access_token)

        return token
