"""gRPC in, logic, gRPC out."""

from __future__ import annotations

from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc

from auth.jwts import ALGORITHM, AUDIENCE
from auth.logins import Logins
from auth.sessions import Sessions
from auth.spotify_tokens import SpotifyTokens
from kit import errors


def _timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromSeconds(int(seconds))
    return ts


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, logins: Logins, sessions: Sessions, tokens: SpotifyTokens) -> None:
        self._logins = logins
        self._sessions = sessions
        self._tokens = tokens

    def StartLogin(
        self, request: auth_pb2.StartLoginRequest, context: Any
    ) -> auth_pb2.StartLoginResponse:
        url, state = self._logins.start(request.return_to)
        return auth_pb2.StartLoginResponse(authorize_url=url, state=state)

    def CompleteLogin(
        self, request: auth_pb2.CompleteLoginRequest, context: Any
    ) -> auth_pb2.CompleteLoginResponse:
        login = self._logins.complete(request.code, request.state, request.error)
        return auth_pb2.CompleteLoginResponse(
            token=login.token,
            expires_in=login.expires_in,
            user_json=login.user_json,
            return_to=login.return_to,
            user_id=login.user_id,
        )

    def Authenticate(
        self, request: auth_pb2.AuthenticateRequest, context: Any
    ) -> auth_pb2.AuthenticateResponse:
        user, claims = self._sessions.authenticate(request.token)
        return auth_pb2.AuthenticateResponse(
            user_id=user.id,
            spotify_user_id=user.spotify_id,
            token_id=claims.token_id,
            expires_at=_timestamp(claims.expires_at),
            spotify_authorization_lost=user.authorization_lost,
            kind=auth_pb2.TOKEN_KIND_LOGIN,
        )

    def Logout(self, request: auth_pb2.LogoutRequest, context: Any) -> auth_pb2.LogoutResponse:
        self._sessions.logout(request.token)
        return auth_pb2.LogoutResponse()

    def GetUser(self, request: auth_pb2.GetUserRequest, context: Any) -> auth_pb2.GetUserResponse:
        user = self._logins_user(request.user_id)
        return auth_pb2.GetUserResponse(
            user_json=user.profile_json, spotify_authorization_lost=user.authorization_lost
        )

    def GetSpotifyToken(
        self, request: auth_pb2.GetSpotifyTokenRequest, context: Any
    ) -> auth_pb2.GetSpotifyTokenResponse:
        token, expires_at = self._tokens.access_token(
            request.user_id, rejected=request.rejected_token or None
        )
        return auth_pb2.GetSpotifyTokenResponse(
            access_token=token, expires_at=_timestamp(expires_at.timestamp())
        )

    def GetPublicKeys(
        self, request: auth_pb2.GetPublicKeysRequest, context: Any
    ) -> auth_pb2.GetPublicKeysResponse:
        return auth_pb2.GetPublicKeysResponse(
            keys=[
                auth_pb2.PublicKey(kid=key.kid, alg=ALGORITHM, public_key=key.raw)
                for key in self._sessions.public_keys()
            ],
            issuer=self._sessions.issuer,
            audience=AUDIENCE,
        )

    def _logins_user(self, user_id: str) -> Any:
        user = self._sessions.user(user_id)
        if user is None:
            raise errors.NotFound("no such user")
        return user
