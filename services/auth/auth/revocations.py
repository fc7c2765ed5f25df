"""The revocation feed: every change that makes a valid-looking credential stop working, or a
user's Spotify authorization change, in the order of a global sequence. A watcher first gets
what happened after the sequence it names, then `CaughtUp`, then each change as it happens.

Sequences are row ids that the store hands out in commit order (writers of events take one
lock until they commit), so "everything after N" never misses a change that commits late.
Changes written by another replica on the same database are found by polling; changes
written by this process wake the watchers at once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from kit import errors

BATCH = 500


@dataclass(frozen=True)
class TokenRevoked:
    sequence: int
    token_id: str
    # None: a personal token that never expires.
    expires_at: datetime | None


@dataclass(frozen=True)
class UserAuthorization:
    sequence: int
    user_id: str
    authorization_lost: bool


@dataclass(frozen=True)
class CaughtUp:
    sequence: int


FeedEvent = TokenRevoked | UserAuthorization


class FeedStore(Protocol):
    def head(self) -> int: ...
    def events_after(
        self, sequence: int, *, through: int | None, limit: int, regained: bool
    ) -> list[FeedEvent]: ...


class Wakeup:
    """Wakes waiting watchers when this process wrote a change, or a watcher's call ended.
    A generation count, so a wake between a watcher's read and its wait is not lost."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._generation = 0

    @property
    def generation(self) -> int:
        with self._condition:
            return self._generation

    def notify(self) -> None:
        with self._condition:
            self._generation += 1
            self._condition.notify_all()

    def wait(self, seen: int, timeout_s: float) -> None:
        with self._condition:
            self._condition.wait_for(lambda: self._generation != seen, timeout_s)


class RevocationFeed:
    def __init__(
        self, *, store: FeedStore, wakeup: Wakeup, poll_s: float, max_watchers: int
    ) -> None:
        self._store = store
        self._wakeup = wakeup
        self._poll_s = poll_s
        self._max_watchers = max_watchers
        self._watchers = 0
        self._lock = threading.Lock()
        self._closed = False

    def close(self) -> None:
        """Ends every watch at once (the server is stopping; watchers reconnect elsewhere)."""
        self._closed = True
        self._wakeup.notify()

    def watch(
        self,
        after: int,
        *,
        is_active: Callable[[], bool],
        on_end: Callable[[Callable[[], None]], bool],
    ) -> Iterator[FeedEvent | CaughtUp]:
        """The changes after `after`, `CaughtUp`, then live changes while `is_active()`.
        Each watch holds the calling thread for its whole life, so only `max_watchers` may
        run at once (one per gateway replica is the use); more are RateLimited."""
        if after < 0:
            raise errors.InvalidArgument("after_sequence must be 0 or more")
        released = threading.Event()

        def release() -> None:
            if not released.is_set():
                released.set()
                with self._lock:
                    self._watchers -= 1
            self._wakeup.notify()

        with self._lock:
            if self._watchers >= self._max_watchers:
                raise errors.RateLimited("too many revocation watchers", retry_after_s=5)
            self._watchers += 1
        if not on_end(release):
            release()
            return
        try:
            yield from self._changes(after, lambda: is_active() and not self._closed)
        finally:
            release()

    def _changes(self, after: int, running: Callable[[], bool]) -> Iterator[FeedEvent | CaughtUp]:
        head = self._store.head()
        # A sequence beyond the head comes from another database (this one was replaced):
        # continue from the head, so nothing written from now on is skipped.
        last = min(after, head)
        # From 0 the watcher knows nothing: a regained authorization is the default state.
        regained = after > 0
        while True:
            batch = self._store.events_after(last, through=head, limit=BATCH, regained=regained)
            yield from batch
            if len(batch) < BATCH:
                break
            last = batch[-1].sequence
        last = head
        yield CaughtUp(head)
        while running():
            seen = self._wakeup.generation
            batch = self._store.events_after(last, through=None, limit=BATCH, regained=True)
            yield from batch
            if batch:
                last = batch[-1].sequence
            if len(batch) < BATCH:
                self._wakeup.wait(seen, self._poll_s)
