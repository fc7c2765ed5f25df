"""Handing out a Spotify access token that works now, refreshing it when it has expired or
Spotify refused it, and noticing when the refresh token itself is dead.

Several auth replicas may serve one user at once. A refresh holds the user's credentials
(the store locks the row where the database can), reads them again first (another replica
may have refreshed them while this one waited) and stores the new ones only over the ones
it refreshed (compare-and-swap). A refresh token Spotify refuses is read again before the
user is marked lost: with rotation, a token another replica has just replaced is refused
too, and that is not a lost authorization."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Protocol

from auth.cipher import TokenCipher
from auth.credentials import SealedCredentials
from kit import errors
from kit.spotify.accounts import TokenSet


class CredentialsInRefresh(Protocol):
    def current(self) -> SealedCredentials | None: ...
    def replace(self, old: SealedCredentials, new: SealedCredentials) -> bool: ...


class CredentialStore(Protocol):
    def get_user(self, user_id: str) -> object | None: ...
    def get_credentials(self, user_id: str) -> SealedCredentials | None: ...
    def refreshing(self, user_id: str) -> AbstractContextManager[CredentialsInRefresh]: ...
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
        # One refresh at a time per user in this process: with rotation a second concurrent
        # refresh would present a refresh token Spotify has just retired. (Across replicas
        # the store's lock does the same.)
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()

    def _lock(self, user_id: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks[user_id]

    def scope(self, user_id: str) -> str:
        """The scopes the person granted at their last login ("" when unknown)."""
        sealed = self._store.get_credentials(user_id)
        return sealed.scope if sealed is not None else ""

    def access_token(self, user_id: str, rejected: str | None = None) -> tuple[str, datetime]:
        try:
            return self._access_token(user_id, rejected)
        except _Unusable:
            # Marked only here, once the credentials row is no longer held: marking takes
            # the user's row, which a login holding it may be waiting to pass.
            self._store.mark_authorization_lost(user_id, self._clock())
            raise errors.SpotifyAuthorizationLost("stored Spotify login is unusable") from None

    def _access_token(self, user_id: str, rejected: str | None) -> tuple[str, datetime]:
        with self._lock(user_id):
            user = self._store.get_user(user_id)
            sealed = self._store.get_credentials(user_id)
            if user is None or sealed is None:
                raise errors.NotFound("no such user")
            if getattr(user, "authorization_lost", False):
                raise errors.SpotifyAuthorizationLost("Spotify authorization lost; log in again")
            usable = self._usable(user_id, sealed, rejected)
            if usable is not None:
                return usable
            with self._store.refreshing(user_id) as held:
                latest = held.current()
                if latest is None:
                    raise errors.NotFound("no such user")
                usable = self._usable(user_id, latest, rejected)
                if usable is not None:
                    return usable  # another replica refreshed it while this one waited
                refreshed = self._refresh(user_id, held, latest)
            if refreshed is None:
                self._store.mark_authorization_lost(user_id, self._clock())
                raise errors.SpotifyAuthorizationLost(
                    "Spotify no longer accepts this login; log in again"
                )
            return refreshed

    def _usable(
        self, user_id: str, sealed: SealedCredentials, rejected: str | None
    ) -> tuple[str, datetime] | None:
        """The stored access token when it can be handed out as is; None when it needs a
        refresh."""
        access = self._open(user_id, sealed.access_token)
        if rejected and rejected != access:
            return access, sealed.expires_at  # another caller refreshed it already
        if not rejected and sealed.expires_at - self.MARGIN > self._clock():
            return access, sealed.expires_at
        return None

    def _refresh(
        self, user_id: str, held: CredentialsInRefresh, sealed: SealedCredentials
    ) -> tuple[str, datetime] | None:
        """A fresh access token, or None when Spotify refused a refresh token that is still
        the stored one (the authorization is lost)."""
        user_refresh = self._open(user_id, sealed.refresh_token)
        try:
            fresh = self._accounts.refresh(user_refresh)
        except errors.SpotifyAuthorizationLost:
            latest = held.current()
            if latest is None or latest.refresh_token == sealed.refresh_token:
                return None
            # Rotated by another replica meanwhile: its tokens are the good ones.
            return self._open(user_id, latest.access_token), latest.expires_at
        expires_at = datetime.fromtimestamp(fresh.expires_at, UTC)
        # If another replica stored credentials meanwhile (possible only without the row
        # lock), they stay: the access token just issued works all the same.
        held.replace(
            sealed, self._seal(fresh.access_token, fresh.refresh_token or user_refresh, expires_at)
        )
        return fresh.access_token, expires_at

    def _open(self, user_id: str, sealed: bytes) -> str:
        try:
            return self._cipher.open(sealed)
        except ValueError:
            raise _Unusable(user_id) from None


class _Unusable(Exception):
    """The stored tokens cannot be opened (the encryption key changed): the authorization
    is lost, which access_token records after letting go of the credentials."""
