"""The app's shared Spotify pace: unpaced until a 429, then cut on a 429 (once per
congestion) and raised while requests wait; slots shared round-robin among users; one
state for every replica on one store (SQLite and PostgreSQL); QUOTA_EXCEEDED stops every
replica's requests without sending any."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from kit.spotify.client import SpotifyClient, SpotifyGate
from kit.spotify.limiter import QuotaExceeded, RateLimits, SpotifyLimiter
from kit.spotify.rate_state import MemoryRateStore, RateState, RateStore
from kit.spotify.rate_store import SqlRateStore
from spotify_emulator import Emulator, Faults

APP = "test-client"


def _paced(store: RateStore, rate: float) -> None:
    store.change(APP, lambda s: (replace(s, rate=rate), None))


@pytest.fixture
def memory() -> MemoryRateStore:
    return MemoryRateStore()


@pytest.fixture
def shared(database_url: str) -> Iterator[SqlRateStore]:
    store = SqlRateStore(database_url)
    yield store
    store.close()


def _state(store: RateStore) -> RateState:
    return store.change(APP, lambda s: (s, s))


def test_unpaced_until_a_429_then_cut_once_per_congestion_and_raised_while_held_back(
    memory: MemoryRateStore,
) -> None:
    limiter = SpotifyLimiter(memory, APP, RateLimits(increase=50.0))
    try:
        began = time.time()
        sent = [limiter.acquire("u") for _ in range(40)]
        assert limiter.rate is None and sent[-1] - began < 0.5  # nothing waited
        # A 429 with Retry-After 1: the rate is what went in that second, cut.
        cut = limiter.limits.decrease
        limiter.rate_limited(sent[-1], 1)
        first = _state(memory).rate
        assert first is not None and 40 * cut * 0.9 <= first <= 40 * cut
        assert _state(memory).paused_until >= time.time() + 0.9
        # Another answer to a request sent before the cut is the same congestion.
        limiter.rate_limited(sent[-2], 1)
        assert _state(memory).rate == first
        # Paced from now on: nothing before the pause ends, then 1/rate apart, and the
        # rate goes up while requests are held back by it.
        paced = [limiter.acquire("u") for _ in range(10)]
        assert paced[0] >= _state(memory).paused_until - 0.01 - 1 / first
        gaps = [b - a for a, b in zip(paced, paced[1:], strict=False)]
        assert min(gaps) >= 1 / (first + 50) - 0.005
        raised = _state(memory).rate
        assert raised is not None and raised > first
        # A 429 to a request sent after the cut cuts again.
        limiter.rate_limited(paced[-1], 1)
        assert _state(memory).rate == pytest.approx(raised * cut)
    finally:
        limiter.close()


def test_a_user_with_few_requests_is_not_starved_by_one_with_many(
    memory: MemoryRateStore,
) -> None:
    _paced(memory, 200.0)
    limiter = SpotifyLimiter(memory, APP, RateLimits(increase=0.001))
    stop = threading.Event()

    def heavy() -> None:
        while not stop.is_set():
            limiter.acquire("big")

    try:
        with ThreadPoolExecutor(8) as pool:
            for _ in range(8):  # eight requests always waiting, as a big library's sync
                pool.submit(heavy)
            while limiter.granted().get("big", 0) < 8:
                time.sleep(0.01)
            before = limiter.granted()["big"]
            for _ in range(15):  # one at a time, as a small library's sync
                limiter.acquire("small")
            big = limiter.granted()["big"] - before
            stop.set()
        # Round-robin: about one of the big user's per small one (first come, first served
        # would give it eight).
        assert limiter.granted()["small"] == 15
        assert big <= 2 * 15 + 4
    finally:
        stop.set()
        limiter.close()


def test_two_replicas_on_one_store_share_the_pace_and_never_the_same_slot(
    shared: SqlRateStore, database_url: str
) -> None:
    other = SqlRateStore(database_url)
    a = SpotifyLimiter(shared, APP, RateLimits(increase=0.001))
    b = SpotifyLimiter(other, APP, RateLimits(increase=0.001))
    try:
        # A 429 seen by one replica paces the other.
        sent = [a.acquire("u1") for _ in range(30)]
        a.rate_limited(sent[-1], 1)
        rate = _state(other).rate
        assert rate is not None
        _paced(other, 40.0)  # quick enough for a test
        with ThreadPoolExecutor(4) as pool:
            times = list(
                pool.map(
                    lambda job: job[0].acquire(job[1]),
                    [(a, "u1"), (b, "u2"), (a, "u3"), (b, "u4")] * 6,
                )
            )
        times.sort()
        gaps = [y - x for x, y in zip(times, times[1:], strict=False)]
        assert min(gaps) >= 1 / 40.1 - 0.002  # one pace for both replicas
        assert a.granted() and b.granted()
    finally:
        a.close()
        b.close()
        other.close()


def test_quota_exceeded_stops_every_replica_without_a_request(
    emulator: Emulator, database_url: str
) -> None:
    stores = [SqlRateStore(database_url), SqlRateStore(database_url)]
    limiters = [SpotifyLimiter(s, APP, RateLimits(quota_pause_s=3 * 3600)) for s in stores]
    clients = [
        SpotifyClient(
            api_url=emulator.api_url,
            tokens=lambda _rejected: str(emulator.issue_token("tapedeck-demo")["access_token"]),
            gate=SpotifyGate(),
            timeout_s=5,
            limiter=limiter,
            user_id="tapedeck-demo",
        )
        for limiter in limiters
    ]
    try:
        emulator.set_faults(Faults(quota=(1, 60.0)))
        emulator.reset_stats()
        clients[0].get("me/tracks")
        with pytest.raises(QuotaExceeded) as first:
            clients[0].get("me/tracks")
        assert first.value.code == "rate_limited"
        assert "quota" in str(first.value) and "QUOTA_EXCEEDED" in str(first.value)
        # Hours, not the period's seconds: no retry soon.
        assert first.value.retry_after_s >= 3 * 3600 - 5
        # The other replica does not even ask.
        with pytest.raises(QuotaExceeded):
            clients[1].get("me/tracks")
        assert emulator.stats()["by_status"] == {"200": 1, "429": 1}
    finally:
        for client in clients:
            client.close()
        for limiter in limiters:
            limiter.close()
        for store in stores:
            store.close()


_OPEN_AND_CHANGE = """
import sys
from kit.spotify.rate_store import SqlRateStore
store = SqlRateStore(sys.argv[1])
store.change("app", lambda state: (state, None))
store.close()
"""


def test_processes_starting_together_all_open_one_new_sqlite_store(tmp_path: Path) -> None:
    """As `make run` starts every service at once on a fresh data dir: none may fail with
    'database is locked' creating or first writing the shared file."""
    url = f"sqlite:///{tmp_path / 'spotify-rate.db'}"
    started = [
        subprocess.Popen(
            [sys.executable, "-c", _OPEN_AND_CHANGE, url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(16)
    ]
    ended = [(p.wait(timeout=60), p.communicate()[1]) for p in started]
    assert [code for code, _ in ended] == [0] * 16, [err[-300:] for code, err in ended if code]
