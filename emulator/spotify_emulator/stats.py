"""Request counters, so tests can assert exactly how many Spotify calls something made, and
how many requests of one user, and of one route (known users' only), were in flight at once
(latency and holds included), and how holds ended."""

from __future__ import annotations

import copy
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Not cleared by a reset: requests in flight then still end later.
        self._in_flight: Counter[str] = Counter()
        self._in_flight_routes: Counter[str] = Counter()
        self._clear()

    def reset(self) -> None:
        with self._lock:
            self._clear()

    @contextmanager
    def in_flight(self, user_id: str | None, route: str) -> Iterator[None]:
        """Around one request of a known user, from its token check to its answer."""
        if user_id is None:
            yield
            return
        with self._lock:
            for now, most, key in (
                (self._in_flight, self._max_in_flight, user_id),
                (self._in_flight_routes, self._max_in_flight_routes, route),
            ):
                now[key] += 1
                most[key] = max(most[key], now[key])
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[user_id] -= 1
                self._in_flight_routes[route] -= 1

    def _clear(self) -> None:
        self._total = 0
        self._routes: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._users: Counter[str] = Counter()
        self._accounts: Counter[str] = Counter()
        self._accounts_statuses: Counter[str] = Counter()
        self._holds: Counter[str] = Counter({"reached": 0, "timed_out": 0})
        self._max_in_flight: Counter[str] = Counter(+self._in_flight)
        self._max_in_flight_routes: Counter[str] = Counter(+self._in_flight_routes)

    def count_api(self, route: str, status: str, user_id: str | None) -> None:
        with self._lock:
            self._total += 1
            self._routes[route] += 1
            self._statuses[status] += 1
            if user_id is not None:
                self._users[user_id] += 1

    def count_hold(self, end: str) -> None:
        """A hold ended: "reached" (as many requests in flight as it waited for) or
        "timed_out"."""
        with self._lock:
            self._holds[end] += 1

    def count_accounts(self, route: str, status: str) -> None:
        with self._lock:
            self._accounts[route] += 1
            self._accounts_statuses[status] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(
                {
                    "total": self._total,
                    "by_route": dict(self._routes),
                    "by_status": dict(self._statuses),
                    "by_user": dict(self._users),
                    "max_in_flight_by_user": dict(self._max_in_flight),
                    "max_in_flight_by_route": dict(self._max_in_flight_routes),
                    "accounts": dict(self._accounts),
                    "accounts_by_status": dict(self._accounts_statuses),
                    "holds": dict(self._holds),
                }
            )
