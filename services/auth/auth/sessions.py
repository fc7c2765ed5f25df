"""Tapedeck's sessions after a login: checking a token (a login's JWT or a personal access
token), revoking it, who it belongs to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Protocol

from auth.jwts import JwtIssuer, PublicKey
from auth.personal_tokens import PersonalTokens, looks_personal
from kit import errors


class Kind(Enum):
    LOGIN = "login"
    PERSONAL = "personal"


@dataclass(frozen=True)
class Authentication:
    user: Any
    # A login JWT's jti, or a personal token's id.
    token_id: str
    # Unix seconds; None for a personal token without expiry.
    expires_at: int | None
    kind: Kind


class SessionStore(Protocol):
    def get_user(self, user_id: str) -> Any: ...
    def is_revoked(self, token_id: str) -> bool: ...


class Revocations(Protocol):
    def revoke_login(self, token_id: str, expires_at: datetime, now: datetime) -> None: ...


class Sessions:
    def __init__(
        self,
        *,
        store: SessionStore,
        revocations: Revocations,
        issuer: JwtIssuer,
        personal_tokens: PersonalTokens,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._revocations = revocations
        self._issuer = issuer
        self._personal = personal_tokens
        self._clock = clock

    def authenticate(self, token: str) -> Authentication:
        """The user behind a token, or Unauthenticated. A user whose Spotify authorization is
        lost still authenticates: what is saved stays readable (the caller sees the flag).
        Spotify is never asked."""
        if not token:
            raise errors.Unauthenticated("no token")
        if looks_personal(token):
            user_id, personal = self._personal.authenticate(token)
            expires = personal.expires_at
            found = Authentication(
                self._user(user_id),
                personal.id,
                int(expires.timestamp()) if expires else None,
                Kind.PERSONAL,
            )
            return found
        claims = self._issuer.verify(token)
        if self._store.is_revoked(claims.token_id):
            raise errors.Unauthenticated("the token was revoked")
        return Authentication(
            self._user(claims.user_id), claims.token_id, claims.expires_at, Kind.LOGIN
        )

    def _user(self, user_id: str) -> Any:
        user = self._store.get_user(user_id)
        if user is None:
            raise errors.Unauthenticated("the token's user no longer exists")
        return user

    def public_keys(self) -> list[PublicKey]:
        return self._issuer.public_keys()

    @property
    def issuer(self) -> str:
        return self._issuer.issuer

    def user(self, user_id: str) -> Any:
        return self._store.get_user(user_id)

    def logout(self, token: str) -> None:
        """Revokes this token at once: a login's JWT, or a personal token (deleted)."""
        if looks_personal(token):
            user_id, personal = self._personal.authenticate(token)
            self._personal.delete(user_id, personal.id)
            return
        claims = self._issuer.verify(token)
        self._revocations.revoke_login(
            claims.token_id, datetime.fromtimestamp(claims.expires_at, UTC), self._clock()
        )
