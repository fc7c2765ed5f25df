"""A user's bound on Spotify requests in flight (TAPEDECK_SPOTIFY_CONCURRENCY), shared among
the kinds a save runs at once: even shares to start with, and a kind that ends hands its
share to the kinds still running, so the save keeps the whole bound busy without going over
it."""

from __future__ import annotations

import threading
from collections.abc import Sequence


def split(n: int, kinds: Sequence[str]) -> dict[str, int]:
    """`n` in even parts over `kinds`, the first kinds taking the remainder (some may get 0)."""
    if not kinds:
        return {}
    each, rest = divmod(n, len(kinds))
    return {kind: each + (1 if i < rest else 0) for i, kind in enumerate(kinds)}


class Shares:
    def __init__(self, bound: int, kinds: Sequence[str]) -> None:
        """Every kind gets at least 1, so a bound below the number of kinds is exceeded
        (by at most the number of kinds, 4) rather than leaving a kind without a request."""
        self._lock = threading.Lock()
        self._shares = {kind: max(1, n) for kind, n in split(bound, kinds).items()}
        # Held by whoever hands a share on, from release() until the kinds have been told:
        # told out of order, a kind's earlier, smaller share would undo its later one.
        self.handing_on = threading.Lock()

    def of(self, kind: str) -> int:
        with self._lock:
            return self._shares[kind]

    def release(self, kind: str) -> dict[str, int]:
        """`kind` has ended: its share goes to the kinds still running, evenly. Returns the
        new shares of those whose share grew."""
        with self._lock:
            freed = self._shares.pop(kind, 0)
            grown = {}
            for other, extra in split(freed, list(self._shares)).items():
                if extra:
                    self._shares[other] += extra
                    grown[other] = self._shares[other]
            return grown
