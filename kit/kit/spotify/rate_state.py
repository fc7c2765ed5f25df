"""The app's Spotify pacing state and the store it is kept in, as the limiter sees them:
pure (no database), so the Spotify client and every plan importing it stay free of SQL.
The database store is rate_store.SqlRateStore; a process chooses its store when it wires
its limiter (rate_store.open_limiter)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RateState:
    """The app's pacing. `rate` is None until Spotify first answers 429: until then requests
    are not paced at all, so an app that never meets the limit never waits."""

    # Requests a second the app allows itself, once paced.
    rate: float | None = None
    # The earliest time the next paced request may go (slots are handed out one after
    # another, 1/rate apart).
    next_at: float = 0.0
    # No request before this (Retry-After of a 429).
    paused_until: float = 0.0
    # When the rate was last cut: a 429 to a request sent before that is the same
    # congestion, already answered, and cuts nothing more.
    decreased_at: float = 0.0
    # The developer account's quota is used up until then (QUOTA_EXCEEDED): nothing goes.
    quota_until: float = 0.0
    quota_message: str = ""


# Given the app's state (a fresh one the first time), its next state and what to answer.
Change = Callable[[RateState], tuple[RateState, T]]


class RateStore(Protocol):
    def change(self, app: str, change: Change[T]) -> T:
        """Applies `change` to `app`'s state atomically with respect to every other user of
        the store, and returns its answer."""
        ...

    def close(self) -> None: ...


class MemoryRateStore:
    """One process's store (tests; or a single process without a database)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, RateState] = {}

    def change(self, app: str, change: Change[T]) -> T:
        with self._lock:
            state, answer = change(self._states.get(app, RateState()))
            self._states[app] = state
            return answer

    def close(self) -> None:
        pass
