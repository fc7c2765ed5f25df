"""Recovery codes: ten single-use codes that log a user in without Spotify, for when Spotify's
access is gone and the backup matters most. Stored hashed; guessing is met with a limit of
failed attempts per client address, counted in the database so it holds across replicas."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from auth.jwts import JwtIssuer
from auth.logins import Login
from kit import errors

CODES = 10
# Crockford-free plain base32: 4 groups of 4 characters are 80 random bits.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
GROUPS, GROUP = 4, 4
MAX_CODE = 64


@dataclass(frozen=True)
class Attempts:
    max_failures: int
    window: timedelta


class RecoveryStore(Protocol):
    def replace_recovery_codes(
        self, user_id: str, code_hashes: list[str], now: datetime
    ) -> None: ...
    def take_recovery_code(self, code_hash: str) -> str | None: ...
    def recovery_failures(
        self, client_address: str, since: datetime
    ) -> tuple[int, datetime | None]: ...
    def add_recovery_failure(
        self, client_address: str, now: datetime, prune_before: datetime
    ) -> None: ...


def new_code() -> str:
    return "-".join("".join(secrets.choice(ALPHABET) for _ in range(GROUP)) for _ in range(GROUPS))


def code_hash(code: str) -> str:
    """Of the code as typed in any case, with or without dashes and spaces. The code holds 80
    random bits, so a fast hash is right (no stretching needed against guessing)."""
    plain = "".join(code.split()).replace("-", "").upper()
    return hashlib.sha256(plain.encode()).hexdigest()


class Users(Protocol):
    def get_user(self, user_id: str) -> Any: ...


class RecoveryCodes:
    def __init__(
        self,
        *,
        store: RecoveryStore,
        users: Users,
        issuer: JwtIssuer,
        attempts: Attempts,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._users = users
        self._issuer = issuer
        self._attempts = attempts
        self._clock = clock

    def create(self, user_id: str) -> list[str]:
        """Ten new codes, shown once; every earlier code stops working."""
        errors.required(user_id, "user_id")
        codes = [new_code() for _ in range(CODES)]
        self._store.replace_recovery_codes(user_id, [code_hash(c) for c in codes], self._clock())
        return codes

    def redeem(self, code: str, client_address: str) -> Login:
        """A login JWT, as after a Spotify login; the code is used up. Wrong: Unauthenticated;
        too many wrong ones from this address lately: RateLimited until the oldest ages out."""
        now = self._clock()
        address = client_address[:64]
        since = now - self._attempts.window
        failures, oldest = self._store.recovery_failures(address, since)
        if failures >= self._attempts.max_failures and oldest is not None:
            wait = (oldest + self._attempts.window - now).total_seconds()
            raise errors.RateLimited(
                "too many wrong recovery codes; try again later",
                retry_after_s=max(1, math.ceil(wait)),
            )
        user_id = self._store.take_recovery_code(code_hash(code)) if code else None
        if user_id is None or len(code) > MAX_CODE:
            self._store.add_recovery_failure(address, now, since)
            raise errors.Unauthenticated("the recovery code is not valid")
        user = self._users.get_user(user_id)
        if user is None:
            raise errors.Unauthenticated("the recovery code is not valid")
        token = self._issuer.issue(user.id, int(now.timestamp()))
        return Login(token, self._issuer.ttl_s, user.profile_json, user.id, "/")
