"""Handing out a Spotify access token that works now, refreshing it when it has expired or
Spotify refused it, and noticing when the refresh token itself is dead."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from auth.cipher import TokenCipher
from auth.credentials import SealedCredentials
from kit import errors
from kit.spotify.accounts import TokenSet


class CredentialStore(Protocol):
    def get_user(self, user_id: str) -> object | None: ...
    def get_credentials(self, user_id: str) -> SealedCredentials | None: ...
    def update_credentials(self, user_id: str, credentials: SealedCredentials) -> None: ...
    def mark_authorization_lost(self, user_id: str, now: datetime) -> None: ...


class Refresher(Protocol):
    def refresh(self, refresh_token: str) -> TokenSet: ...


class SpotifyTokens:
    # Refresh a little before Spotify would refuse the token, not after.
    MARGIN = timedelta(seconds=60)

    def __init__(
        self,
        store: CredentialStore,
        accounts: Refresher,
        cipher: TokenCipher,
        seal: Callable[[str, str, datetime], SealedCredentials],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._accounts = accounts
        self._cipher = cipher
        self._seal = seal
        self._clock = clock
        # One refresh at a time per user: with rotation a second concurrent refresh would
        # present a refresh token Spotify has just retired.
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    def _lock(self, user_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks[user_id]

    def access_token(self, user_id: str, rejected: str | None = None) -> tuple[str, datetime]:
        with self._lock(user_id):
            user = self._store.get_user(user_id)
            sealed = self._store.get_credentials(user_id)
            if user is None or sealed is None:
                raise errors.NotFound("no such user")
            if getattr(user, "authorization_lost", False):
                raise errors.SpotifyAuthorizationLost("Spotify authorization lost; log in again")
            now = self._clock()
            try:
                access = self._cipher.open(sealed.access_token)
                refresh = self._cipher.open(sealed.refresh_token)
            except ValueError:
                self._store.mark_authorization_lost(user_id, now)
                raise errors.SpotifyAuthorizationLost("stored Spotify login is unusable") from None
            if rejected and rejected != access:
                return access, sealed.expires_at  # another caller refreshed it already
            if not rejected and sealed.expires_at - self.MARGIN > now:
                return access, sealed.expires_at
            try:
                fresh = self._accounts.refresh(refresh)
            except errors.SpotifyAuthorizationLost:
                self._store.mark_authorization_lost(user_id, now)
                raise
            expires_at = datetime.fromtimestamp(fresh.expires_at, UTC)
            self._store.update_credentials(
                user_id, self._seal(fresh.access_token, fresh.refresh_token or refresh, expires_at)
            )
            return fresh.access_token, expires_at
