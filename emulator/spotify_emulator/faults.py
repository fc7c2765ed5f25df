"""Fault injection for /v1 requests: latency, the app's rolling-window rate limit, a
developer account's quota (429 QUOTA_EXCEEDED), 5xx answers and dropped connections, drawn
from seeded generators so runs repeat; and a hold, which keeps requests back until enough
are in flight at once."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import asdict
from typing import Any, Literal

from spotify_emulator import ids
from spotify_emulator.config import Faults, Hold
from spotify_emulator.messages import DROP, Outcome, Response, api_error

_ERRORS = ((500, "Server error"), (502, "Bad gateway"), (503, "Service unavailable"))

HoldEnd = Literal["reached", "timed_out"]


class _HeldRequests:
    """One hold, armed: the requests it matches wait for each other until there are
    `hold.n` of them (reached), or until `hold.timeout_s` pass with none joining (timed
    out). Then they all go on, and so does every request after them."""

    def __init__(self, hold: Hold) -> None:
        self.hold = hold
        self._cond = threading.Condition()
        self._waiting = 0
        self._deadline = 0.0
        # Read without the lock on the way in: once True, it stays True.
        self.over = False

    def matches(self, user_id: str, route: str) -> bool:
        hold = self.hold
        return (hold.user is None or hold.user == user_id) and (
            hold.route is None or hold.route == route
        )

    def wait(self) -> HoldEnd | None:
        """Waits until the hold is over. Returns how it ended to the one request that ended
        it (so each hold counts once), None to the others."""
        with self._cond:
            if self.over:
                return None
            self._waiting += 1
            if self._waiting >= self.hold.n:
                self._end()
                return "reached"
            self._deadline = time.monotonic() + self.hold.timeout_s
            while not self.over:
                left = self._deadline - time.monotonic()
                if left <= 0:
                    self._end()
                    return "timed_out"
                self._cond.wait(left)
            return None

    def release(self) -> None:
        """Lets the held requests go without counting the hold either way (replaced)."""
        with self._cond:
            self._end()

    def _end(self) -> None:
        self.over = True
        self._cond.notify_all()


class FaultInjector:
    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self._held: _HeldRequests | None = None
        self.set(faults)

    def set(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            # Setting faults arms their hold afresh and lets go of what an old one held.
            old = self._held
            self._held = _HeldRequests(faults.hold) if faults.hold is not None else None
            if old is not None:
                old.release()
            # One generator per decision, so the sequence of 5xx answers does not change
            # when only the drop rate does.
            self._errors = ids.rng(faults.seed, "errors")
            self._kinds = ids.rng(faults.seed, "error-kinds")
            self._drops = ids.rng(faults.seed, "drops")
            self._write_errors = ids.rng(faults.seed, "write-errors")
            self._window: deque[float] = deque()
            self._quota_began = time.monotonic()
            self._quota_used = 0

    def latency_s(self) -> float:
        return self.faults.latency_ms / 1000

    def hold(self, user_id: str, route: str) -> HoldEnd | None:
        """Holds a request of a known user back while a hold that matches it is armed;
        returns how the hold ended to the request that ended it, None otherwise. Without a
        hold (or once it is over) no lock is taken."""
        held = self._held
        if held is None or held.over or not held.matches(user_id, route):
            return None
        return held.wait()

    def decide(self) -> Outcome | None:
        """What to answer instead of the real response, or None to answer normally."""
        with self._lock:
            faults = self.faults
            now = time.monotonic()
            if faults.quota is not None:
                refused = self._over_quota(faults.quota, now)
                if refused is not None:
                    return refused
            if faults.rate_limit is not None:
                max_requests, window_s = faults.rate_limit
                while self._window and self._window[0] <= now - window_s:
                    self._window.popleft()
                if len(self._window) >= max_requests:
                    # Refused requests do not count toward the window.
                    wait = faults.retry_after_s
                    if faults.window_retry_after:
                        wait = max(1, math.ceil(self._window[0] + window_s - now))
                    return api_error(429, "API rate limit exceeded", {"Retry-After": str(wait)})
                self._window.append(now)
            if faults.quota is not None:
                self._quota_used += 1
            if faults.drop_rate > 0 and self._drops.random() < faults.drop_rate:
                return DROP
            if faults.error_rate > 0 and self._errors.random() < faults.error_rate:
                status, message = self._kinds.choice(_ERRORS)
                return api_error(status, message)
        return None

    def _over_quota(self, quota: tuple[int, float], now: float) -> Response | None:
        """The QUOTA_EXCEEDED answer once the developer account's requests of this period
        are used up (a new period starts afresh), else None."""
        max_requests, period_s = quota
        periods = int((now - self._quota_began) // period_s)
        if periods > 0:
            self._quota_began += periods * period_s
            self._quota_used = 0
        if self._quota_used < max_requests:
            return None
        left = max(1, math.ceil(self._quota_began + period_s - now))
        return api_error(429, "QUOTA_EXCEEDED", {"Retry-After": str(left)})

    def decide_write(self) -> Response | None:
        """The 5xx a write request gets instead of (or, with write_error_applied, after)
        its real answer, or None."""
        with self._lock:
            rate = self.faults.write_error_rate
            if rate > 0 and self._write_errors.random() < rate:
                status, message = self._kinds.choice(_ERRORS)
                return api_error(status, message)
        return None


def faults_from_json(payload: dict[str, Any], current: Faults) -> Faults:
    """Faults from the admin API's JSON; fields left out keep their current value."""
    known = asdict(current)
    unknown = set(payload) - set(known)
    if unknown:
        raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
    merged = {**known, **payload}
    limit = merged["rate_limit"]
    if limit is not None:
        if len(limit) != 2:
            raise ValueError("rate_limit is [max_requests, window_s] or null")
        limit = (int(limit[0]), float(limit[1]))
    quota = merged["quota"]
    if quota is not None:
        if len(quota) != 2:
            raise ValueError("quota is [max_requests, period_s] or null")
        quota = (int(quota[0]), float(quota[1]))
    hold = merged["hold"]
    if hold is not None:
        if not isinstance(hold, dict) or "n" not in hold:
            raise ValueError('hold is {"n", "user", "route", "timeout_s"} or null')
        unknown = set(hold) - {"n", "user", "route", "timeout_s"}
        if unknown:
            raise ValueError(f"unknown hold fields: {', '.join(sorted(unknown))}")
        hold = Hold(
            n=int(hold["n"]),
            user=None if hold.get("user") is None else str(hold["user"]),
            route=None if hold.get("route") is None else str(hold["route"]),
            timeout_s=float(hold.get("timeout_s", Hold.timeout_s)),
        )
    return Faults(
        latency_ms=int(merged["latency_ms"]),
        rate_limit=limit,
        retry_after_s=int(merged["retry_after_s"]),
        error_rate=float(merged["error_rate"]),
        drop_rate=float(merged["drop_rate"]),
        seed=int(merged["seed"]),
        hold=hold,
        write_error_rate=float(merged["write_error_rate"]),
        write_error_applied=bool(merged["write_error_applied"]),
        window_retry_after=bool(merged["window_retry_after"]),
        quota=quota,
    )


def faults_to_json(faults: Faults) -> dict[str, Any]:
    return asdict(faults) | {
        "rate_limit": list(faults.rate_limit) if faults.rate_limit else None,
        "quota": list(faults.quota) if faults.quota else None,
    }
