"""Personal access tokens: named, revocable, optionally expiring credentials for the CLI, cron
jobs and scripts. They need no Spotify: a backup stays reachable after Spotify's access ends.
The secret is shown once; only its hash is kept."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from kit import errors

PREFIX = "tdp_"
MAX_NAME = 100
MAX_DAYS = 3650
MAX_PER_USER = 100


@dataclass(frozen=True)
class PersonalToken:
    id: str
    name: str
    created_at: datetime
    # None: never expires.
    expires_at: datetime | None


@dataclass(frozen=True)
class CreatedToken:
    token: PersonalToken
    secret: str


class PersonalTokenStore(Protocol):
    def add_personal_token(
        self, user_id: str, token: PersonalToken, secret_hash: str, max_per_user: int
    ) -> None: ...
    def personal_tokens(self, user_id: str) -> list[PersonalToken]: ...
    def delete_personal_token(self, user_id: str, token_id: str, now: datetime) -> bool: ...
    def find_personal_token(self, secret_hash: str) -> tuple[str, PersonalToken] | None: ...


def secret_hash(secret: str) -> str:
    # The secret is 256 random bits, so guessing is hopeless whatever the hash's speed: a
    # plain SHA-256 is right here (a slow password hash would only slow every request).
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_personal(token: str) -> bool:
    return token.startswith(PREFIX)


class PersonalTokens:
    def __init__(
        self,
        store: PersonalTokenStore,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._clock = clock

    def create(self, user_id: str, name: str, expires_in_days: int) -> CreatedToken:
        errors.required(user_id, "user_id")
        name = name.strip()
        if not 1 <= len(name) <= MAX_NAME or not name.isprintable():
            raise errors.InvalidArgument(f"name must be 1 to {MAX_NAME} printable characters")
        if not 0 <= expires_in_days <= MAX_DAYS:
            raise errors.InvalidArgument(
                f"expires_in_days must be 1 to {MAX_DAYS}, or none for a token without expiry"
            )
        now = self._clock()
        expires_at = now + timedelta(days=expires_in_days) if expires_in_days else None
        token = PersonalToken(uuid.uuid4().hex, name, now, expires_at)
        secret = PREFIX + secrets.token_urlsafe(32)
        self._store.add_personal_token(user_id, token, secret_hash(secret), MAX_PER_USER)
        return CreatedToken(token, secret)

    def list(self, user_id: str) -> list[PersonalToken]:
        return self._store.personal_tokens(errors.required(user_id, "user_id"))

    def delete(self, user_id: str, token_id: str) -> None:
        """Another user's token is as unknown as one that never existed (no existence leak)."""
        errors.required(user_id, "user_id")
        if not token_id or not self._store.delete_personal_token(user_id, token_id, self._clock()):
            raise errors.NotFound("no such token")

    def authenticate(self, secret: str) -> tuple[str, PersonalToken]:
        """The user and token of a personal token's secret, or Unauthenticated."""
        found = self._store.find_personal_token(secret_hash(secret))
        if found is None:
            raise errors.Unauthenticated("the token is not valid")
        user_id, token = found
        if token.expires_at is not None and token.expires_at <= self._clock():
            raise errors.Unauthenticated("the token has expired")
        return user_id, token
