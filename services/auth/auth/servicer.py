"""gRPC in, logic, gRPC out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc

from auth.jwts import ALGORITHM, AUDIENCE
from auth.logins import Login, Logins
from auth.personal_tokens import PersonalToken, PersonalTokens
from auth.recovery import RecoveryCodes
from auth.revocations import CaughtUp, FeedEvent, RevocationFeed, TokenRevoked
from auth.sessions import Kind, Sessions
from auth.spotify_tokens import SpotifyTokens
from kit import errors


def _timestamp(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromSeconds(int(seconds))
    return ts


def _maybe_timestamp(at: datetime | None) -> Timestamp | None:
    return _timestamp(at.timestamp()) if at is not None else None


_KINDS = {Kind.LOGIN: auth_pb2.TOKEN_KIND_LOGIN, Kind.PERSONAL: auth_pb2.TOKEN_KIND_PERSONAL}


def _login(login: Login) -> auth_pb2.CompleteLoginResponse:
    return auth_pb2.CompleteLoginResponse(
        token=login.token,
        expires_in=login.expires_in,
        user_json=login.user_json,
        return_to=login.return_to,
        user_id=login.user_id,
    )


def _personal_token(token: PersonalToken) -> auth_pb2.PersonalToken:
    return auth_pb2.PersonalToken(
        id=token.id,
        name=token.name,
        created_at=_timestamp(token.created_at.timestamp()),
        expires_at=_maybe_timestamp(token.expires_at),
    )


def _revocation_event(event: FeedEvent | CaughtUp) -> auth_pb2.RevocationEvent:
    if isinstance(event, CaughtUp):
        return auth_pb2.RevocationEvent(caught_up=auth_pb2.CaughtUp(sequence=event.sequence))
    if isinstance(event, TokenRevoked):
        return auth_pb2.RevocationEvent(
            sequence=event.sequence,
            token_revoked=auth_pb2.TokenRevoked(
                token_id=event.token_id, expires_at=_maybe_timestamp(event.expires_at)
            ),
        )
    return auth_pb2.RevocationEvent(
        sequence=event.sequence,
        user_authorization=auth_pb2.UserAuthorization(
            user_id=event.user_id, spotify_authorization_lost=event.authorization_lost
        ),
    )


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(
        self,
        logins: Logins,
        sessions: Sessions,
        tokens: SpotifyTokens,
        *,
        feed: RevocationFeed,
        personal_tokens: PersonalTokens,
        recovery: RecoveryCodes,
    ) -> None:
        self._logins = logins
        self._sessions = sessions
        self._tokens = tokens
        self._feed = feed
        self._personal = personal_tokens
        self._recovery = recovery

    def close(self) -> None:
        """Ends open revocation watches at once, before the server stops."""
        self._feed.close()

    def StartLogin(
        self, request: auth_pb2.StartLoginRequest, context: Any
    ) -> auth_pb2.StartLoginResponse:
        started = self._logins.start(
            request.return_to, request.client_address, request.write_scopes
        )
        return auth_pb2.StartLoginResponse(
            authorize_url=started.authorize_url,
            state=started.state,
            browser_nonce=started.browser_nonce,
            expires_in=started.expires_in,
        )

    def CompleteLogin(
        self, request: auth_pb2.CompleteLoginRequest, context: Any
    ) -> auth_pb2.CompleteLoginResponse:
        return _login(
            self._logins.complete(request.code, request.state, request.error, request.browser_nonce)
        )

    def Authenticate(
        self, request: auth_pb2.AuthenticateRequest, context: Any
    ) -> auth_pb2.AuthenticateResponse:
        found = self._sessions.authenticate(request.token)
        return auth_pb2.AuthenticateResponse(
            user_id=found.user.id,
            spotify_user_id=found.user.spotify_id,
            token_id=found.token_id,
            expires_at=_timestamp(found.expires_at) if found.expires_at is not None else None,
            spotify_authorization_lost=found.user.authorization_lost,
            kind=_KINDS[found.kind],
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
            access_token=token,
            expires_at=_timestamp(expires_at.timestamp()),
            scope=self._tokens.scope(request.user_id),
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

    def WatchRevocations(
        self, request: auth_pb2.WatchRevocationsRequest, context: Any
    ) -> Iterator[auth_pb2.RevocationEvent]:
        changes = self._feed.watch(
            request.after_sequence, is_active=context.is_active, on_end=context.add_callback
        )
        for change in changes:
            yield _revocation_event(change)

    def CreatePersonalToken(
        self, request: auth_pb2.CreatePersonalTokenRequest, context: Any
    ) -> auth_pb2.CreatePersonalTokenResponse:
        created = self._personal.create(request.user_id, request.name, request.expires_in_days)
        return auth_pb2.CreatePersonalTokenResponse(
            token=_personal_token(created.token), secret=created.secret
        )

    def ListPersonalTokens(
        self, request: auth_pb2.ListPersonalTokensRequest, context: Any
    ) -> auth_pb2.ListPersonalTokensResponse:
        return auth_pb2.ListPersonalTokensResponse(
            tokens=[_personal_token(t) for t in self._personal.list(request.user_id)]
        )

    def DeletePersonalToken(
        self, request: auth_pb2.DeletePersonalTokenRequest, context: Any
    ) -> auth_pb2.DeletePersonalTokenResponse:
        self._personal.delete(request.user_id, request.token_id)
        return auth_pb2.DeletePersonalTokenResponse()

    def CreateRecoveryCodes(
        self, request: auth_pb2.CreateRecoveryCodesRequest, context: Any
    ) -> auth_pb2.CreateRecoveryCodesResponse:
        return auth_pb2.CreateRecoveryCodesResponse(codes=self._recovery.create(request.user_id))

    def RedeemRecoveryCode(
        self, request: auth_pb2.RedeemRecoveryCodeRequest, context: Any
    ) -> auth_pb2.CompleteLoginResponse:
        return _login(self._recovery.redeem(request.code, request.client_address))

    def _logins_user(self, user_id: str) -> Any:
        user = self._sessions.user(user_id)
        if user is None:
            raise errors.NotFound("no such user")
        return user
