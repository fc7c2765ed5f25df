"""Logging in with Spotify: the state, the code exchange, the profile, the first JWT.
What happens to that JWT afterwards is auth.sessions'."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from auth.credentials import SealedCredentials
from auth.jwts import JwtIssuer
from kit import errors
from kit.spotify.accounts import TokenSet

MAX_RETURN_TO = 2048


class LoginStore(Protocol):
    def add_login_state(self, state: str, return_to: str, now: datetime) -> None: ...
    def take_login_state(self, state: str, not_before: datetime) -> str | None: ...
    def save_login(
        self,
        *,
        new_id: str,
        spotify_id: str,
        profile_json: str,
        credentials: Any,
        now: datetime,
    ) -> Any: ...


class Accounts(Protocol):
    def authorize_url(self, state: str) -> str: ...
    def exchange_code(self, code: str) -> TokenSet: ...
    def current_user(self, access_token: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Login:
    token: str
    expires_in: int
    user_json: str
    user_id: str
    return_to: str


def safe_return_to(value: str) -> str:
    """A path on the gateway's own origin, or InvalidArgument: no open redirects."""
    if not value:
        return "/"
    if len(value) > MAX_RETURN_TO or any(c in value for c in "\\\r\n\t") or not value.isprintable():
        raise errors.InvalidArgument("return_to must be a path on this site")
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/") or value.startswith("//"):
        raise errors.InvalidArgument("return_to must be a path on this site")
    # The token travels in the fragment; a fragment of the caller's own would swallow it.
    return parts._replace(fragment="").geturl()


class Logins:
    def __init__(
        self,
        *,
        store: LoginStore,
        accounts: Accounts,
        issuer: JwtIssuer,
        seal: Callable[[str, str, datetime], SealedCredentials],
        state_ttl: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._issuer = issuer
        self._seal = seal
        self._state_ttl = state_ttl
        self._clock = clock

    def start(self, return_to: str) -> tuple[str, str]:
        path = safe_return_to(return_to)
        state = secrets.token_urlsafe(32)
        self._store.add_login_state(state, path, self._clock())
        return self._accounts.authorize_url(state), state

    def complete(self, code: str, state: str, error: str) -> Login:
        now = self._clock()
        return_to = self._store.take_login_state(state, now - self._state_ttl) if state else None
        if return_to is None:
            raise errors.InvalidArgument("unknown, expired or already used login state")
        if error:
            raise errors.InvalidArgument(f"Spotify login was not completed: {error[:100]}")
        if not code:
            raise errors.InvalidArgument("the callback has no code")
        tokens = self._accounts.exchange_code(code)
        profile = self._accounts.current_user(tokens.access_token)
        if not isinstance(profile.get("id"), str):
            raise errors.Unavailable("Spotify returned a user without an id")
        expires_at = datetime.fromtimestamp(tokens.expires_at, UTC)
        user = self._store.save_login(
            new_id=uuid.uuid4().hex,
            spotify_id=profile["id"],
            profile_json=json.dumps(profile, ensure_ascii=False),
            credentials=self._seal(tokens.access_token, tokens.refresh_token or "", expires_at),
            now=now,
        )
        jwt = self._issuer.issue(user.id, int(now.timestamp()))
        return Login(jwt, self._issuer.ttl_s, user.profile_json, user.id, return_to)
