"""The Spotify client against the emulator: exact request counts, 429 honoured with
Retry-After, retries on 5xx and dropped connections, a fresh token on 401, and clear
errors for what cannot be retried."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from kit import errors
from kit.spotify.client import SpotifyClient, SpotifyGate, SpotifyLimits, SpotifyRefused
from spotify_emulator import Emulator, Faults
from spotify_emulator.config import Hold

USER = "tapedeck-demo"


class Tokens:
    """Hands out emulator tokens and remembers which ones it was told were refused."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator
        self.rejected: list[str | None] = []

    def __call__(self, rejected: str | None) -> str:
        self.rejected.append(rejected)
        return str(self._emulator.issue_token(USER)["access_token"])


@pytest.fixture
def tokens(emulator: Emulator) -> Tokens:
    return Tokens(emulator)


FAST = SpotifyLimits(backoff_s=0.01)


def _client(emulator: Emulator, tokens: Tokens, limits: SpotifyLimits = FAST) -> SpotifyClient:
    return SpotifyClient(
        api_url=emulator.api_url, tokens=tokens, gate=SpotifyGate(), timeout_s=5, limits=limits
    )


@pytest.fixture
def client(emulator: Emulator, tokens: Tokens) -> Iterator[SpotifyClient]:
    spotify = _client(emulator, tokens)
    yield spotify
    spotify.close()


def test_it_counts_exactly_the_requests_it_sends(emulator: Emulator, client: SpotifyClient) -> None:
    emulator.reset_stats()
    page = client.get("me/tracks", {"limit": 50, "offset": 0})
    client.get("me/tracks", {"limit": 50, "offset": 50})
    assert page["total"] == len(emulator.user(USER).saved_tracks())
    assert client.requests == emulator.stats()["total"] == 2


def test_a_429_pauses_every_request_for_retry_after(
    emulator: Emulator, client: SpotifyClient
) -> None:
    emulator.set_faults(Faults(rate_limit=(2, 1.0), retry_after_s=1))
    started = time.monotonic()
    for offset in range(0, 250, 50):
        client.get("me/tracks", {"limit": 50, "offset": offset})
    waited = time.monotonic() - started
    stats = emulator.stats()["by_status"]
    assert stats["200"] == 5
    # It waited as told instead of hammering: a few 429s, not one per retry loop turn.
    assert 1 <= stats.get("429", 0) <= 3
    assert waited >= 1.0


def test_a_retry_after_too_long_is_rate_limited_at_once(emulator: Emulator, tokens: Tokens) -> None:
    client = _client(emulator, tokens, replace(FAST, max_retry_after_s=5))
    emulator.set_faults(Faults(rate_limit=(1, 60.0), retry_after_s=3600))
    client.get("me/tracks")
    started = time.monotonic()
    with pytest.raises(errors.RateLimited) as raised:
        client.get("me/tracks")
    assert raised.value.retry_after_s == 3600
    assert time.monotonic() - started < 2
    assert client.requests == 2


def test_server_errors_and_dropped_connections_are_retried(
    emulator: Emulator, client: SpotifyClient
) -> None:
    emulator.set_faults(Faults(error_rate=0.3, drop_rate=0.2, seed=3))
    pages = [client.get("me/tracks", {"limit": 10, "offset": o}) for o in range(0, 60, 10)]
    assert [t for p in pages for t in p["items"]] == emulator.user(USER).saved_tracks()
    stats = emulator.stats()["by_status"]
    assert stats.get("dropped", 0) + sum(stats.get(s, 0) for s in ("500", "502", "503")) > 0
    assert client.requests == emulator.stats()["total"]


def test_spotify_failing_every_time_is_unavailable(emulator: Emulator, tokens: Tokens) -> None:
    client = _client(emulator, tokens, replace(FAST, attempts=3))
    emulator.set_faults(Faults(error_rate=1.0))
    with pytest.raises(errors.Unavailable):
        client.get("me/tracks")
    assert client.requests == 3


def test_an_expired_token_is_refreshed_once_and_the_call_goes_on(
    emulator: Emulator, client: SpotifyClient, tokens: Tokens
) -> None:
    client.get("me/tracks")
    first = tokens.rejected[:]
    assert first == [None]
    emulator.expire_access_tokens()
    assert client.get("me/tracks")["items"]
    assert len(tokens.rejected) == 2 and tokens.rejected[1] is not None


def test_a_refused_request_is_not_retried(emulator: Emulator, client: SpotifyClient) -> None:
    emulator.reset_stats()
    with pytest.raises(SpotifyRefused) as raised:
        client.get("playlists/doesnotexist")
    assert raised.value.status in (400, 404)
    with pytest.raises(SpotifyRefused) as too_big:
        client.get("me/tracks", {"limit": 51})
    assert too_big.value.status == 400
    assert emulator.stats()["total"] == 2


def _in_flight_at_most(emulator: Emulator, client: SpotifyClient, callers: int, bound: int) -> int:
    """The most of `callers` threads' requests that were in flight at once. The emulator holds
    them until `bound` are in flight (the bound is reached however slow the machine is: a
    client allowing fewer times the hold out), and each takes 100 ms after that."""
    emulator.reset_stats()
    emulator.set_faults(Faults(latency_ms=100, hold=Hold(bound, user=USER)))
    with ThreadPoolExecutor(callers) as pool:
        list(pool.map(lambda o: client.get("me/tracks", {"limit": 1, "offset": o}), range(24)))
    stats = emulator.stats()
    assert stats["holds"] == {"reached": 1, "timed_out": 0}
    return int(stats["max_in_flight_by_user"][USER])


def test_requests_in_flight_keep_to_the_bound_and_follow_a_change(
    emulator: Emulator, tokens: Tokens
) -> None:
    client = _client(emulator, tokens, replace(FAST, concurrency=6))
    try:
        assert _in_flight_at_most(emulator, client, callers=12, bound=6) == 6
        assert client.set_concurrency(2) == 2
        assert _in_flight_at_most(emulator, client, callers=12, bound=2) == 2
        # Raised again, but never past the limits' bound (0 means the bound).
        assert client.set_concurrency(50) == 6
        assert client.set_concurrency(0) == 6
        assert _in_flight_at_most(emulator, client, callers=12, bound=6) == 6
    finally:
        client.close()
