"""What the gateway knows from the auth service's revocation stream: revoked tokens (until
they would have expired anyway), users whose Spotify authorization is lost, and personal
access tokens already checked once. Imports no gRPC: watcher.py feeds it.

All of it counts only while `synced`: between a start (or a broken stream) and the stream's
`caught_up`, changes may have been missed, and every request is asked of the auth service."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# Expired revocations are dropped at most this often.
PRUNE_INTERVAL_S = 60.0


class Revocations:
    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        # token id -> when it expires anyway (None: never, a personal token without expiry)
        self._revoked: dict[str, float | None] = {}
        self._lost: dict[str, bool] = {}
        self._pruned_at = clock()
        self.synced = False
        # The last event applied: a broken stream resumes after it.
        self.sequence = 0

    def revoke(self, token_id: str, expires_at: float | None) -> None:
        self._revoked[token_id] = expires_at
        self._prune()

    def is_revoked(self, token_id: str) -> bool:
        return token_id in self._revoked

    def set_authorization(self, user_id: str, lost: bool) -> None:
        self._lost[user_id] = lost

    def authorization_lost(self, user_id: str) -> bool | None:
        """True or False once the stream told; None when it never mentioned the user."""
        return self._lost.get(user_id)

    def _prune(self) -> None:
        now = self._clock()
        if now - self._pruned_at < PRUNE_INTERVAL_S:
            return
        self._pruned_at = now
        gone = [tid for tid, exp in self._revoked.items() if exp is not None and exp < now]
        for token_id in gone:
            del self._revoked[token_id]


@dataclass(frozen=True)
class PersonalSession:
    user_id: str
    token_id: str
    expires_at: float | None
    spotify_authorization_lost: bool


def digest(token: str) -> str:
    """The cache's key: the token itself is never kept."""
    return hashlib.sha256(token.encode()).hexdigest()


class PersonalTokens:
    """Personal access tokens the auth service accepted, by the SHA-256 of the secret; at
    most `size`, the least recently used dropped first."""

    def __init__(self, size: int, clock: Callable[[], float]) -> None:
        self._size = size
        self._clock = clock
        self._sessions: OrderedDict[str, PersonalSession] = OrderedDict()
        self._by_id: dict[str, str] = {}

    def get(self, token: str) -> PersonalSession | None:
        key = digest(token)
        session = self._sessions.get(key)
        if session is None:
            return None
        if session.expires_at is not None and session.expires_at <= self._clock():
            self._drop(key)
            return None
        self._sessions.move_to_end(key)
        return session

    def put(self, token: str, session: PersonalSession) -> None:
        key = digest(token)
        self._sessions[key] = session
        self._sessions.move_to_end(key)
        self._by_id[session.token_id] = key
        while len(self._sessions) > self._size:
            self._drop(next(iter(self._sessions)))

    def evict(self, token_id: str) -> None:
        key = self._by_id.get(token_id)
        if key is not None:
            self._drop(key)

    def clear(self) -> None:
        self._sessions.clear()
        self._by_id.clear()

    def _drop(self, key: str) -> None:
        session = self._sessions.pop(key, None)
        if session is not None:
            self._by_id.pop(session.token_id, None)
