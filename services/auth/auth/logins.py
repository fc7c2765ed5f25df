"""Logging in with Spotify: the state, the code exchange, the profile, the first JWT.
What happens to that JWT afterwards is auth.sessions'.

A login is bound to the browser that started it (a nonce in a cookie; only its hash is
stored) and to the code's requester (PKCE, S256). Pending logins are capped per client
address and in all, so anonymous /auth/login calls cannot grow the database without end."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import math
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


class PendingLogin(Protocol):
    @property
    def return_to(self) -> str: ...
    @property
    def browser_nonce_hash(self) -> str: ...
    @property
    def code_verifier(self) -> str: ...


class LoginStore(Protocol):
    def add_login_state(
        self,
        *,
        state: str,
        return_to: str,
        browser_nonce_hash: str,
        code_verifier: str,
        client_address: str,
        now: datetime,
        expired_before: datetime,
        per_address: int,
        in_total: int,
    ) -> datetime | None: ...
    def take_login_state(self, state: str, not_before: datetime) -> PendingLogin | None: ...
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
    def authorize_url(self, state: str, code_challenge: str, write_scopes: bool = False) -> str: ...
    def exchange_code(self, code: str, code_verifier: str) -> TokenSet: ...
    def current_user(self, access_token: str) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Caps:
    """Pending logins allowed at once: from one client address, and from everyone."""

    per_address: int
    in_total: int


@dataclass(frozen=True)
class StartedLogin:
    authorize_url: str
    state: str
    # For the browser's login cookie; the callback must bring it back.
    browser_nonce: str
    expires_in: int


@dataclass(frozen=True)
class Login:
    token: str
    expires_in: int
    user_json: str
    user_id: str
    return_to: str


def nonce_hash(nonce: str) -> str:
    # The nonce is 256 random bits: a fast hash is enough, no salt or stretching needed.
    return hashlib.sha256(nonce.encode()).hexdigest()


def code_challenge(verifier: str) -> str:
    """PKCE's S256 (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


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
        caps: Caps,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._issuer = issuer
        self._seal = seal
        self._state_ttl = state_ttl
        self._caps = caps
        self._clock = clock

    def start(
        self, return_to: str, client_address: str, write_scopes: bool = False
    ) -> StartedLogin:
        """`write_scopes`: the second consent a first restore asks for (Spotify's write
        scopes on top of the read ones)."""
        path = safe_return_to(return_to)
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = secrets.token_urlsafe(64)  # 86 characters; PKCE asks for 43 to 128
        now = self._clock()
        held_since = self._store.add_login_state(
            state=state,
            return_to=path,
            browser_nonce_hash=nonce_hash(nonce),
            code_verifier=verifier,
            client_address=client_address[:64],
            now=now,
            expired_before=now - self._state_ttl,
            per_address=self._caps.per_address,
            in_total=self._caps.in_total,
        )
        if held_since is not None:
            # Room comes back when the oldest pending login holding the cap expires.
            wait = (held_since + self._state_ttl - now).total_seconds()
            raise errors.RateLimited(
                "too many logins are pending; try again later",
                retry_after_s=max(1, math.ceil(wait)),
            )
        return StartedLogin(
            authorize_url=self._accounts.authorize_url(state, code_challenge(verifier), True)
            if write_scopes
            else self._accounts.authorize_url(state, code_challenge(verifier)),
            state=state,
            browser_nonce=nonce,
            expires_in=int(self._state_ttl.total_seconds()),
        )

    def complete(self, code: str, state: str, error: str, browser_nonce: str) -> Login:
        now = self._clock()
        # Taking the state spends it, whatever follows: a refused attempt cannot be retried.
        pending = self._store.take_login_state(state, now - self._state_ttl) if state else None
        if pending is None:
            raise errors.InvalidArgument("unknown, expired or already used login state")
        if not browser_nonce or not hmac.compare_digest(
            nonce_hash(browser_nonce), pending.browser_nonce_hash
        ):
            # Login CSRF: someone else's callback URL opened in this browser.
            raise errors.InvalidArgument("this login was not started in this browser")
        if error:
            raise errors.InvalidArgument(f"Spotify login was not completed: {error[:100]}")
        if not code:
            raise errors.InvalidArgument("the callback has no code")
        tokens = self._accounts.exchange_code(code, pending.code_verifier)
        profile = self._accounts.current_user(tokens.access_token)
        if not isinstance(profile.get("id"), str):
            raise errors.Unavailable("Spotify returned a user without an id")
        expires_at = datetime.fromtimestamp(tokens.expires_at, UTC)
        user = self._store.save_login(
            new_id=uuid.uuid4().hex,
            spotify_id=profile["id"],
            profile_json=json.dumps(profile, ensure_ascii=False),
            credentials=dataclasses.replace(
                self._seal(tokens.access_token, tokens.refresh_token or "", expires_at),
                scope=tokens.scope,
            ),
            now=now,
        )
        jwt = self._issuer.issue(user.id, int(now.timestamp()))
        return Login(jwt, self._issuer.ttl_s, user.profile_json, user.id, pending.return_to)
