"""Tapedeck's sessions after a login: checking a token, revoking it, who it belongs to."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from auth.jwts import Claims, JwtIssuer, PublicKey
from kit import errors


class SessionStore(Protocol):
    def get_user(self, user_id: str) -> Any: ...
    def revoke(self, token_id: str, expires_at: datetime, now: datetime) -> None: ...
    def is_revoked(self, token_id: str) -> bool: ...


class Sessions:
    def __init__(
        self,
        *,
        store: SessionStore,
        issuer: JwtIssuer,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._issuer = issuer
        self._clock = clock

    def authenticate(self, token: str) -> tuple[Any, Claims]:
        """The user behind a JWT, or Unauthenticated. A user whose Spotify authorization is
        lost still authenticates: what is saved stays readable (the caller sees the flag)."""
        if not token:
            raise errors.Unauthenticated("no token")
        claims = self._issuer.verify(token)
        if self._store.is_revoked(claims.token_id):
            raise errors.Unauthenticated("the token was revoked")
        user = self._store.get_user(claims.user_id)
        if user is None:
            raise errors.Unauthenticated("the token's user no longer exists")
        return user, claims

    def public_keys(self) -> list[PublicKey]:
        return self._issuer.public_keys()

    @property
    def issuer(self) -> str:
        return self._issuer.issuer

    def user(self, user_id: str) -> Any:
        return self._store.get_user(user_id)

    def logout(self, token: str) -> None:
        claims = self._issuer.verify(token)
        self._store.revoke(
            claims.token_id, datetime.fromtimestamp(claims.expires_at, UTC), self._clock()
        )
