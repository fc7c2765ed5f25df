"""Authorization codes, access tokens and refresh tokens, as Spotify's accounts service
keeps them."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

CODE_TTL_S = 600
# Access tokens and codes expired longer ago than this are forgotten.
FORGET_AFTER_S = 3600


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    user_id: str
    scope: str
    expires_at: float
    code_challenge: str | None = None
    used: bool = False


@dataclass
class Access:
    user_id: str
    scope: str
    expires_at: float


@dataclass
class Refresh:
    user_id: str
    scope: str
    client_id: str
    valid: bool = True


class TokenError(Exception):
    """Spotify's OAuth error: `error` is the code, str(self) the description."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error


@dataclass(frozen=True)
class Check:
    """What an access token is worth: unknown (user None), expired, or good."""

    user_id: str | None
    scope: str = ""
    expired: bool = False


class Tokens:
    def __init__(self, ttl_s: int, rotate: bool) -> None:
        self.ttl_s = ttl_s
        self.rotate = rotate
        self._codes: dict[str, Code] = {}
        self._access: dict[str, Access] = {}
        self._refresh: dict[str, Refresh] = {}
        self._issued = 0
        self._lock = threading.Lock()
        # Called after every change, outside the lock (the state file saves itself there).
        self.on_change: Callable[[], None] = _nothing

    def new_code(
        self,
        client_id: str,
        redirect_uri: str,
        user_id: str,
        scope: str,
        code_challenge: str | None = None,
    ) -> str:
        code = "AQ" + secrets.token_urlsafe(96)
        with self._lock:
            self._codes[code] = Code(
                client_id, redirect_uri, user_id, scope, time.time() + CODE_TTL_S, code_challenge
            )
        self.on_change()
        return code

    def redeem_code(
        self, code: str, client_id: str, redirect_uri: str | None, verifier: str | None
    ) -> dict[str, object]:
        with self._lock:
            found = self._codes.get(code)
            if found is None or found.used or found.expires_at < time.time():
                raise TokenError("invalid_grant", "Invalid authorization code")
            if found.client_id != client_id:
                raise TokenError("invalid_grant", "Invalid authorization code")
            if redirect_uri != found.redirect_uri:
                raise TokenError("invalid_grant", "Invalid redirect URI")
            if found.code_challenge is not None and not _pkce_ok(found.code_challenge, verifier):
                raise TokenError("invalid_grant", "code_verifier was incorrect")
            found.used = True
            answer = self._issue(found.user_id, found.scope, client_id, with_refresh=True)
        self.on_change()
        return answer

    def refresh(self, refresh_token: str, client_id: str) -> dict[str, object]:
        with self._lock:
            found = self._refresh.get(refresh_token)
            if found is None or not found.valid or found.client_id != client_id:
                raise TokenError("invalid_grant", "Invalid refresh token")
            if self.rotate:
                found.valid = False
            answer = self._issue(found.user_id, found.scope, client_id, with_refresh=self.rotate)
        self.on_change()
        return answer

    def issue(self, user_id: str, scope: str, client_id: str) -> dict[str, object]:
        """A fresh token pair without the browser dance (for tests and benchmarks)."""
        with self._lock:
            answer = self._issue(user_id, scope, client_id, with_refresh=True)
        self.on_change()
        return answer

    def _issue(
        self, user_id: str, scope: str, client_id: str, with_refresh: bool
    ) -> dict[str, object]:
        self._issued += 1
        if self._issued % 1000 == 0:
            self._prune()
        access = "BQ" + secrets.token_urlsafe(96)
        self._access[access] = Access(user_id, scope, time.time() + self.ttl_s)
        answer: dict[str, object] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.ttl_s,
        }
        if with_refresh:
            refresh = "AQ" + secrets.token_urlsafe(96)
            self._refresh[refresh] = Refresh(user_id, scope, client_id)
            answer["refresh_token"] = refresh
        answer["scope"] = scope
        return answer

    def _prune(self) -> None:
        # Long benchmark runs mint many tokens; forget the ones long dead.
        horizon = time.time() - FORGET_AFTER_S
        self._access = {k: v for k, v in self._access.items() if v.expires_at > horizon}
        self._codes = {k: v for k, v in self._codes.items() if v.expires_at > horizon}

    def check(self, access_token: str) -> Check:
        with self._lock:
            found = self._access.get(access_token)
        if found is None:
            return Check(None)
        return Check(found.user_id, found.scope, found.expires_at <= time.time())

    def expire_access(self, user_id: str | None = None) -> int:
        with self._lock:
            now = time.time()
            hit = [a for a in self._access.values() if user_id is None or a.user_id == user_id]
            for access in hit:
                access.expires_at = min(access.expires_at, now)
        self.on_change()
        return len(hit)

    def revoke_refresh(self, user_id: str) -> int:
        with self._lock:
            hit = [r for r in self._refresh.values() if r.user_id == user_id and r.valid]
            for refresh in hit:
                refresh.valid = False
        self.on_change()
        return len(hit)

    # The state file's part: every token that still means something.

    def export(self) -> dict[str, Any]:
        """Codes not yet used, access tokens not long expired (an expired one still answers
        "The access token expired", not "Invalid access token"), refresh tokens still valid.
        Holds every secret the accounts service issued: the state file is kept 0600."""
        horizon = time.time() - FORGET_AFTER_S
        with self._lock:
            return {
                "codes": {
                    k: asdict(v)
                    for k, v in self._codes.items()
                    if not v.used and v.expires_at > time.time()
                },
                "access": {k: asdict(v) for k, v in self._access.items() if v.expires_at > horizon},
                "refresh": {k: asdict(v) for k, v in self._refresh.items() if v.valid},
            }

    def restore(self, saved: dict[str, Any]) -> None:
        """Takes back what export() gave; raises (KeyError, TypeError, ValueError) on
        anything malformed, before changing anything."""
        codes = {str(k): _code(v) for k, v in dict(saved["codes"]).items()}
        access = {str(k): _access(v) for k, v in dict(saved["access"]).items()}
        refresh = {str(k): _refresh(v) for k, v in dict(saved["refresh"]).items()}
        with self._lock:
            self._codes, self._access, self._refresh = codes, access, refresh


def _nothing() -> None:
    pass


def _code(saved: dict[str, Any]) -> Code:
    challenge = saved["code_challenge"]
    return Code(
        client_id=str(saved["client_id"]),
        redirect_uri=str(saved["redirect_uri"]),
        user_id=str(saved["user_id"]),
        scope=str(saved["scope"]),
        expires_at=float(saved["expires_at"]),
        code_challenge=None if challenge is None else str(challenge),
    )


def _access(saved: dict[str, Any]) -> Access:
    return Access(str(saved["user_id"]), str(saved["scope"]), float(saved["expires_at"]))


def _refresh(saved: dict[str, Any]) -> Refresh:
    return Refresh(str(saved["user_id"]), str(saved["scope"]), str(saved["client_id"]))


def _pkce_ok(challenge: str, verifier: str | None) -> bool:
    if not verifier:
        return False
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == challenge
