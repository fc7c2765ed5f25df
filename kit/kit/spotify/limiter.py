"""The app's Spotify request rate, shared by every user, process and replica, and shared out
fairly among users.

Spotify counts requests per app over a rolling 30-second window and answers 429 beyond it.
Until the first 429 nothing is paced (an app that never meets the limit never waits). From
then on the app paces itself: requests go 1/rate apart, slots handed out from one state in
a store every replica reaches (rate_state.RateStore; the database one is rate_store), with additive increase while requests are
held back by the pace and a multiplicative decrease on a 429 (once per congestion: a 429 to
a request sent before the last cut cuts nothing). The rate is kept in the store, so a
restarted app starts at what it learned.

Fairness: within a process the slots go round-robin to the users with a request waiting,
one each in turn, so a user with 5,000 playlists (eight requests always waiting) gets no
more turns than one with 5. Each process reserves as many slots ahead as it has users
waiting, so across replicas the slots split by waiting users, not by process.

A 429 whose body says QUOTA_EXCEEDED (the developer account's quota) stops every request of
the app, in every replica, for hours: they fail at once with QuotaExceeded (rate_limited)."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from kit import errors
from kit.spotify.rate_state import RateState, RateStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimits:
    # Spotify's rolling window: the first 429 sets the rate from the requests of the last
    # one (or of the last Retry-After seconds, when shorter).
    window_s: float = 30.0
    min_rate: float = 0.2
    max_rate: float = 100.0
    # Requests a second added for every second the app was held back by its own pace.
    increase: float = 0.02
    # The rate is multiplied by this on a 429.
    decrease: float = 0.9
    # QUOTA_EXCEEDED stops the app's requests this long at least (longer if Retry-After says).
    quota_pause_s: float = 6 * 3600.0
    # How stale an unpaced process's view of the shared state may be.
    state_ttl_s: float = 1.0


class QuotaExceeded(errors.RateLimited):
    """The developer account's quota is used up: no request of the app goes for hours."""


class LimiterSettings(BaseSettings):
    """TAPEDECK_SPOTIFY_RATE_*: where the app's shared rate is kept, and how it adapts."""

    model_config = SettingsConfigDict(
        env_prefix="TAPEDECK_", env_file=".env", extra="ignore", frozen=True
    )

    # A database every replica reaches (PostgreSQL on a cluster); by default a SQLite file in
    # the data dir, which the processes of one machine share. "memory": this process only.
    spotify_rate_database_url: str | None = None
    spotify_rate_increase: float = Field(default=RateLimits.increase, gt=0)
    spotify_rate_decrease: float = Field(default=RateLimits.decrease, gt=0, lt=1)
    spotify_rate_max: float = Field(default=RateLimits.max_rate, gt=0)
    spotify_quota_pause_s: float = Field(default=RateLimits.quota_pause_s, ge=0)

    def limits(self) -> RateLimits:
        return RateLimits(
            increase=self.spotify_rate_increase,
            decrease=self.spotify_rate_decrease,
            max_rate=self.spotify_rate_max,
            quota_pause_s=self.spotify_quota_pause_s,
        )


class _Ticket:
    __slots__ = ("at", "error", "ready")

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.at = 0.0
        self.error: Exception | None = None


@dataclass(frozen=True)
class _Quota:
    until: float
    message: str


class SpotifyLimiter:
    """One per process and app (thread-safe). `acquire(user)` before every request,
    `rate_limited` after a 429, `quota_exceeded` after a QUOTA_EXCEEDED."""

    def __init__(
        self,
        store: RateStore,
        app: str,
        limits: RateLimits = RateLimits(),
        *,
        clock: Callable[[], float] = time.time,
        owns_store: bool = False,
    ) -> None:
        self.limits = limits
        self._store = store
        self._app = app
        self._clock = clock
        self._owns_store = owns_store
        self._cond = threading.Condition()
        # Users with a request waiting, in turn order, and their requests in arrival order.
        self._turns: deque[str] = deque()
        self._waiting: dict[str, deque[_Ticket]] = {}
        self._dispatcher: threading.Thread | None = None
        self._closed = False
        # This process's requests of the last window (the first 429 sets the rate by them).
        self._recent: deque[float] = deque()
        self._recent_lock = threading.Lock()
        # The shared state as last read, and when.
        self._state = RateState()
        self._read_at = float("-inf")
        self._granted: dict[str, int] = {}

    @property
    def rate(self) -> float | None:
        """Requests a second the app paces itself at, None while unpaced."""
        return self._state.rate

    def granted(self) -> dict[str, int]:
        """Paced requests let go per user (fairness, for tests and the benchmark)."""
        with self._cond:
            return dict(self._granted)

    def acquire(self, user: str) -> float:
        """Waits until a request of `user` may go; returns the time it went. Raises
        QuotaExceeded while the developer account's quota is used up."""
        while True:
            state = self._current()
            now = self._clock()
            if state.quota_until > now:
                raise _quota_error(state.quota_until - now, state.quota_message)
            if state.rate is not None:
                return self._paced(user)
            if state.paused_until <= now:
                self._sent(now)
                return now
            time.sleep(state.paused_until - now)
            self._read_at = float("-inf")

    def rate_limited(self, sent_at: float, retry_after_s: float) -> None:
        """Spotify answered 429 (the window) to a request sent at `sent_at`: every request of
        the app waits `retry_after_s`, and the rate is cut unless this congestion already
        cut it."""
        now = self._clock()
        until = now + retry_after_s
        # The first 429 sets the rate from this process's requests over the window, which
        # Retry-After bounds: a rolling window's oldest request leaves it within that time.
        span = min(self.limits.window_s, max(1.0, retry_after_s))
        with self._recent_lock:
            recent = sum(1 for at in self._recent if at > now - span) / span
        limits = self.limits

        def change(state: RateState) -> tuple[RateState, RateState]:
            paused = max(state.paused_until, until)
            new = replace(state, paused_until=paused, next_at=max(state.next_at, paused))
            if sent_at >= state.decreased_at:
                base = state.rate if state.rate is not None else recent
                rate = min(limits.max_rate, max(limits.min_rate, base * limits.decrease))
                new = replace(new, rate=rate, decreased_at=now)
            return new, new

        self._remember(self._store.change(self._app, change))
        log.info(
            "spotify rate cut",
            extra={"rate": self._state.rate, "retry_after_s": retry_after_s},
        )
        with self._cond:
            self._cond.notify_all()

    def quota_exceeded(self, retry_after_s: float, message: str) -> QuotaExceeded:
        """Spotify answered QUOTA_EXCEEDED: no request of the app goes, in any replica,
        for the longer of Retry-After and the quota pause. Returns the error to raise."""
        now = self._clock()
        wait = max(retry_after_s, self.limits.quota_pause_s)
        until = now + wait

        def change(state: RateState) -> tuple[RateState, RateState]:
            new = replace(state, quota_until=max(state.quota_until, until), quota_message=message)
            return new, new

        self._remember(self._store.change(self._app, change))
        log.warning("spotify quota exceeded", extra={"until": _utc(until)})
        with self._cond:
            self._cond.notify_all()
        return _quota_error(wait, message)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._dispatcher is not None:
            self._dispatcher.join()
        if self._owns_store:
            self._store.close()

    def _current(self) -> RateState:
        now = self._clock()
        if now - self._read_at > self.limits.state_ttl_s:
            self._remember(self._store.change(self._app, lambda s: (s, s)))
        return self._state

    def _remember(self, state: RateState) -> None:
        self._state = state
        self._read_at = self._clock()

    def _sent(self, at: float) -> None:
        with self._recent_lock:
            self._recent.append(at)
            while self._recent and self._recent[0] <= at - self.limits.window_s:
                self._recent.popleft()

    def _paced(self, user: str) -> float:
        ticket = _Ticket()
        with self._cond:
            if self._closed:
                raise errors.Unavailable("the Spotify limiter is closed")
            queue = self._waiting.get(user)
            if queue is None:
                queue = self._waiting[user] = deque()
                self._turns.append(user)
            queue.append(ticket)
            if self._dispatcher is None:
                self._dispatcher = threading.Thread(
                    target=self._dispatch, name="spotify-limiter", daemon=True
                )
                self._dispatcher.start()
            self._cond.notify_all()
        ticket.ready.wait()
        if ticket.error is not None:
            raise ticket.error
        self._sent(ticket.at)
        return ticket.at

    def _reserve(self, state: RateState) -> tuple[RateState, tuple[RateState, float | _Quota]]:
        """The next slot of the app (or the quota's end), and the state after it."""
        now = self._clock()
        if state.quota_until > now:
            return state, (state, _Quota(state.quota_until, state.quota_message))
        if state.rate is None:
            return state, (state, max(now, state.paused_until))
        start = max(now, state.next_at, state.paused_until)
        rate = state.rate
        if start > now:
            # Held back by its own pace: probe for more.
            rate = min(self.limits.max_rate, rate + self.limits.increase / rate)
        new = replace(state, rate=rate, next_at=start + 1 / rate)
        return new, (new, start)

    def _dispatch(self) -> None:
        """Reserves slots from the store, as many ahead as users are waiting, and hands each
        to the next user in turn when its time comes."""
        slots: list[float] = []
        while True:
            with self._cond:
                while not self._closed and not self._turns:
                    slots.clear()
                    self._cond.wait()
                if self._closed:
                    self._fail_all(errors.Unavailable("the Spotify limiter is closed"))
                    return
                users = len(self._turns)
            if len(slots) < users:
                try:
                    state, answer = self._store.change(self._app, self._reserve)
                except Exception as exc:  # the store is down: tell the waiting requests
                    log.warning("spotify rate store failed", exc_info=True)
                    with self._cond:
                        self._fail_all(errors.Unavailable(f"the Spotify rate store: {exc}"))
                    continue
                self._remember(state)
                if isinstance(answer, _Quota):
                    error = _quota_error(answer.until - self._clock(), answer.message)
                    with self._cond:
                        self._fail_all(error)
                    slots.clear()
                    continue
                slots.append(answer)
                slots.sort()
                continue
            at = slots[0]
            with self._cond:
                delay = at - self._clock()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                slots.pop(0)
                if at < self._state.paused_until:
                    continue  # reserved before a 429 paused the app
                self._grant(at)

    def _grant(self, at: float) -> None:
        """The slot at `at` to the next user in turn (the lock held)."""
        if not self._turns:
            return
        user = self._turns.popleft()
        queue = self._waiting[user]
        ticket = queue.popleft()
        if queue:
            self._turns.append(user)
        else:
            del self._waiting[user]
        self._granted[user] = self._granted.get(user, 0) + 1
        ticket.at = at
        ticket.ready.set()

    def _fail_all(self, error: Exception) -> None:
        for queue in self._waiting.values():
            for ticket in queue:
                ticket.error = error
                ticket.ready.set()
        self._waiting.clear()
        self._turns.clear()


def _utc(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _quota_error(wait_s: float, message: str) -> QuotaExceeded:
    until = _utc(time.time() + wait_s)
    return QuotaExceeded(
        f"Spotify's request quota for this app's developer account is used up "
        f"({message or 'QUOTA_EXCEEDED'}); no Spotify request is made until {until}",
        retry_after_s=max(1, int(wait_s)),
    )
