"""Who a request's token belongs to, decided in the gateway: a login's JWT is checked against
the auth service's public keys and the revocations its stream told (watcher.py); a personal
access token is asked of the auth service once and then remembered. Whenever the gateway
cannot know for sure (the stream is not caught up, the keys could not be fetched), it asks
the auth service, and what cannot be asked is refused: never let through unchecked."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import grpc
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc

from gateway.keys import Claims, KeyRing, UnknownKey
from gateway.profiles import Profiles
from gateway.revocations import PersonalSession, PersonalTokens, Revocations
from kit import errors

log = logging.getLogger(__name__)

# Personal access tokens are opaque and carry this prefix; anything else is read as a JWT.
PERSONAL_PREFIX = "tdp_"
# A token naming an unknown key makes the gateway fetch the keys again, at most this often.
KEY_REFETCH_INTERVAL_S = 1.0
KEYS_TIMEOUT_S = 2.0
PERSONAL_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class User:
    """Who made a request, as their token says."""

    # The Tapedeck user id.
    id: str
    # A login JWT's `jti`, or a personal access token's id.
    token_id: str
    # None: a personal access token that never expires.
    expires_at: float | None
    # Spotify no longer accepts the user's refresh token: reads go on, saves are refused.
    spotify_authorization_lost: bool


class Sessions:
    def __init__(
        self,
        stub: auth_pb2_grpc.AuthServiceStub,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stub = stub
        self._monotonic = monotonic
        self.keys = KeyRing(clock)
        self.revocations = Revocations(clock)
        self.personal = PersonalTokens(PERSONAL_CACHE_SIZE, clock)
        # /me's stored user objects, while the revocation stream is caught up (watcher.py).
        self.profiles = Profiles()
        self._keys_lock = asyncio.Lock()
        self._keys_fetched_at = -math.inf
        self._keys_fresh = False

    async def fetch_keys(self) -> None:
        """The auth service's public keys, again unless fetched within the last
        KEY_REFETCH_INTERVAL_S (a flood of made-up `kid`s costs one call a second)."""
        async with self._keys_lock:
            if self._monotonic() - self._keys_fetched_at < KEY_REFETCH_INTERVAL_S:
                return
            self._keys_fetched_at = self._monotonic()
            try:
                answer = await self._stub.GetPublicKeys(
                    auth_pb2.GetPublicKeysRequest(), timeout=KEYS_TIMEOUT_S
                )
            except grpc.RpcError as exc:
                self._keys_fresh = False
                log.warning("public keys not fetched", extra={"code": str(exc.code())})  # type: ignore[attr-defined]
                return
            self.keys.replace(
                {key.kid: key.public_key for key in answer.keys if key.alg == "EdDSA"},
                answer.issuer,
                answer.audience,
            )
            self._keys_fresh = True

    async def authenticate(self, token: str) -> User:
        if token.startswith(PERSONAL_PREFIX):
            return await self._personal(token)
        claims = await self._verify(token)
        if claims is None or not self.revocations.synced:
            return await self._ask(token)
        if self.revocations.is_revoked(claims.token_id):
            raise errors.Unauthenticated("the token was revoked")
        lost = self.revocations.authorization_lost(claims.user_id)
        return User(claims.user_id, claims.token_id, claims.expires_at, bool(lost))

    async def logout(self, token: str) -> None:
        """Revokes the token at the auth service (every replica learns it from the stream)
        and here at once, so its next use on this replica is refused whatever the stream's
        delay."""
        session = await self.authenticate(token)
        await self._stub.Logout(auth_pb2.LogoutRequest(token=token))
        self.revocations.revoke(session.token_id, session.expires_at)
        self.personal.evict(session.token_id)

    async def profile(self, user: User) -> tuple[str, bool]:
        """The user's stored Spotify object and whether their Spotify authorization is lost:
        remembered while the revocation stream is caught up (the flag then comes from it),
        else asked of the auth service."""
        synced = self.revocations.synced
        if synced:
            known = self.profiles.get(user.id)
            if known is not None:
                return known, user.spotify_authorization_lost
        before = self.profiles.snapshot(user.id)
        answer = await self._stub.GetUser(auth_pb2.GetUserRequest(user_id=user.id))
        if synced and self.revocations.synced:
            self.profiles.remember(user.id, answer.user_json, before)
            return answer.user_json, user.spotify_authorization_lost
        return answer.user_json, answer.spotify_authorization_lost

    def forget_personal(self, token_id: str) -> None:
        """A personal access token deleted through this replica: refused here at once (the
        stream's event, with its expiry, follows)."""
        self.revocations.revoke(token_id, None)
        self.personal.evict(token_id)

    async def _verify(self, token: str) -> Claims | None:
        """The JWT's claims; None when the keys to check it could not be fetched."""
        try:
            return self.keys.verify(token)
        except UnknownKey:
            await self.fetch_keys()
        try:
            return self.keys.verify(token)
        except UnknownKey:
            if self._keys_fresh:
                raise errors.Unauthenticated("the token is not valid") from None
            return None

    async def _personal(self, token: str) -> User:
        if self.revocations.synced:
            known = self.personal.get(token)
            if known is not None:
                if self.revocations.is_revoked(known.token_id):
                    self.personal.evict(known.token_id)
                    raise errors.Unauthenticated("the token was revoked")
                lost = self.revocations.authorization_lost(known.user_id)
                return User(
                    known.user_id,
                    known.token_id,
                    known.expires_at,
                    known.spotify_authorization_lost if lost is None else lost,
                )
        synced = self.revocations.synced
        answer = await self._stub.Authenticate(auth_pb2.AuthenticateRequest(token=token))
        session = _session(answer)
        # Remembered only when no revocation can have been missed since the answer; one
        # that arrives later is found by is_revoked above.
        if synced and self.revocations.synced and answer.kind == auth_pb2.TOKEN_KIND_PERSONAL:
            self.personal.put(
                token,
                PersonalSession(
                    session.id,
                    session.token_id,
                    session.expires_at,
                    session.spotify_authorization_lost,
                ),
            )
        return session

    async def _ask(self, token: str) -> User:
        answer = await self._stub.Authenticate(auth_pb2.AuthenticateRequest(token=token))
        return _session(answer)


def _session(answer: auth_pb2.AuthenticateResponse) -> User:
    expires_at = answer.expires_at.seconds if answer.HasField("expires_at") else None
    return User(
        answer.user_id,
        answer.token_id,
        None if expires_at is None else float(expires_at),
        answer.spotify_authorization_lost,
    )
