"""Fault injection for /v1 requests: latency, a rolling-window rate limit, 5xx answers and
dropped connections, drawn from seeded generators so runs repeat."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict
from typing import Any

from spotify_emulator import ids
from spotify_emulator.config import Faults
from spotify_emulator.messages import DROP, Outcome, api_error

_ERRORS = ((500, "Server error"), (502, "Bad gateway"), (503, "Service unavailable"))


class FaultInjector:
    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self.set(faults)

    def set(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            # One generator per decision, so the sequence of 5xx answers does not change
            # when only the drop rate does.
            self._errors = ids.rng(faults.seed, "errors")
            self._kinds = ids.rng(faults.seed, "error-kinds")
            self._drops = ids.rng(faults.seed, "drops")
            self._window: deque[float] = deque()

    def latency_s(self) -> float:
        return self.faults.latency_ms / 1000

    def decide(self) -> Outcome | None:
        """What to answer instead of the real response, or None to answer normally."""
        with self._lock:
            faults = self.faults
            if faults.rate_limit is not None:
                max_requests, window_s = faults.rate_limit
                now = time.monotonic()
                while self._window and self._window[0] <= now - window_s:
                    self._window.popleft()
                if len(self._window) >= max_requests:
                    # Refused requests do not count toward the window.
                    return api_error(
                        429,
                        "API rate limit exceeded",
                        {"Retry-After": str(faults.retry_after_s)},
                    )
                self._window.append(now)
            if faults.drop_rate > 0 and self._drops.random() < faults.drop_rate:
                return DROP
            if faults.error_rate > 0 and self._errors.random() < faults.error_rate:
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
    return Faults(
        latency_ms=int(merged["latency_ms"]),
        rate_limit=limit,
        retry_after_s=int(merged["retry_after_s"]),
        error_rate=float(merged["error_rate"]),
        drop_rate=float(merged["drop_rate"]),
        seed=int(merged["seed"]),
    )


def faults_to_json(faults: Faults) -> dict[str, Any]:
    return asdict(faults) | {"rate_limit": list(faults.rate_limit) if faults.rate_limit else None}
