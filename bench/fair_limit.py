"""Benchmark: twenty users saving at once against the app's rolling-window limit of 180
requests per window (Spotify's: 30 s), through the shared, fair limiter (kit.spotify.limiter).

Each user's save is modelled by its Spotify requests: one listing page per 50 playlists,
then one page per playlist, eight in flight per user (TAPEDECK_SPOTIFY_CONCURRENCY), sent
by the real client (kit.spotify.client) over HTTP to the emulator. The users are split
between two "replicas" (two limiters on one SQLite store, as two processes would be).
Sizes: 5 to 500 playlists, geometric. Time is scaled: a 30 s / `--time-scale` window
(default 6 s, so 30 requests a second instead of 6) with the limiter's window and increase
scaled alike, so a run takes about 90 s instead of 7 minutes; the counts per window are
Spotify's.

Measured: the share of requests answered 429 (target < 1%), the achieved rate (answered
requests over the time until the last user is done) against the limit (target >= 90%),
and fairness: each user's time against the time processor sharing at the limit would give
it (an equal share of the rate among the users still saving; target: the worst <= 1.5x).
Two runs: cold (the limit unknown, learned from the first 429s) and warm (the rate the
first run learned, kept in the store as a restarted app keeps it).

    make bench-limit        # or: .venv/bin/python bench/fair_limit.py --help
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from teststack.fixtures import make_emulator

from kit.spotify.client import SpotifyClient, SpotifyGate, SpotifyLimits
from kit.spotify.limiter import RateLimits, SpotifyLimiter
from kit.spotify.rate_store import SqlRateStore
from spotify_emulator import Emulator, Faults

APP = "bench-app"
LIMIT, WINDOW_S = 180, 30.0


def sizes(users: int, scale: float) -> list[int]:
    return [max(1, round(scale * 5 * 100 ** (i / (users - 1)))) for i in range(users)]


def requests_of(playlists: int) -> int:
    return math.ceil(playlists / 50) + playlists


def fair_times(counts: list[int], rate: float) -> list[float]:
    """Each user's finish time under processor sharing of `rate` among the users left."""
    order = sorted(range(len(counts)), key=lambda i: counts[i])
    done = [0.0] * len(counts)
    t, served, left = 0.0, 0.0, len(counts)
    for i in order:
        t += (counts[i] - served) * left / rate
        served = counts[i]
        done[i] = t
        left -= 1
    return done


def _fixed(token: str) -> Callable[[str | None], str]:
    """The user's token (the bench's tokens outlive it)."""
    return lambda _rejected: token


def save(client: SpotifyClient, n: int) -> float:
    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: client.get("me/tracks", {"limit": 1, "offset": k % 50}), range(n)))
    return time.monotonic() - began


def run(emulator: Emulator, store_url: str, scale: float, counts: list[int]) -> dict[str, Any]:
    window_s = WINDOW_S / scale
    limits = RateLimits(window_s=window_s, increase=RateLimits.increase * scale * scale)
    stores = [SqlRateStore(store_url), SqlRateStore(store_url)]
    limiters = [SpotifyLimiter(s, APP, limits) for s in stores]
    emulator.set_faults(Faults(rate_limit=(LIMIT, window_s), window_retry_after=True))
    emulator.reset_stats()
    clients = []
    for i in range(len(counts)):
        user = f"bench-user-{i}"
        token = str(emulator.issue_token(user)["access_token"])
        clients.append(
            SpotifyClient(
                api_url=emulator.api_url,
                tokens=_fixed(token),
                gate=SpotifyGate(),
                timeout_s=30,
                limits=SpotifyLimits(rate_limited_attempts=1000),
                limiter=limiters[i % 2],
                user_id=user,
            )
        )
    times: list[float] = [0.0] * len(counts)
    began = time.monotonic()

    def one(i: int) -> None:
        times[i] = save(clients[i], counts[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(counts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    stats = emulator.stats()["by_status"]
    answered, refused = stats.get("200", 0), stats.get("429", 0)
    rate = LIMIT / window_s
    fair = fair_times(counts, rate)
    ratios = [t / f for t, f in zip(times, fair, strict=True)]
    for client in clients:
        client.close()
    learned = limiters[0].rate
    for limiter in limiters:
        limiter.close()
    for store in stores:
        store.close()
    return {
        "requests": answered + refused,
        "answered_429": refused,
        "share_429": refused / max(1, answered + refused),
        "elapsed_s": elapsed,
        "achieved_vs_limit": answered / elapsed / rate,
        "worst_vs_fair_share": max(ratios),
        "worst_user_playlists": counts[ratios.index(max(ratios))],
        "ratios": [round(r, 2) for r in ratios],
        "learned_rate_per_s": learned,
        "limit_per_s": rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--time-scale", type=float, default=5.0)
    parser.add_argument("--size-scale", type=float, default=1.0)
    parser.add_argument("--runs", default="cold,warm")
    args = parser.parse_args()
    counts = [requests_of(p) for p in sizes(args.users, args.size_scale)]
    emulator = make_emulator()
    results: dict[str, Any] = {
        "users": args.users,
        "playlists": sizes(args.users, args.size_scale),
        "limit": f"{LIMIT} per {WINDOW_S / args.time_scale:g} s",
    }
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'spotify-rate.db'}"
            for name in args.runs.split(","):
                results[name] = run(emulator, url, args.time_scale, counts)
    finally:
        emulator.stop()
    print(json.dumps(results, indent=2))  # noqa: T201 - a benchmark's output is its report


if __name__ == "__main__":
    main()
