"""Benchmark: restoring every playlist of a library into an account that lost them, against
the emulator answering each request after a fixed latency (25 ms by default).

Measures the write requests the restore sent against the minimum Spotify's limit of 100
items per add allows (one create per playlist, then ceil(items / 100) adds), and the wall
time against that minimum times the latency divided by the concurrency (a restore writes
TAPEDECK_RESTORE_CONCURRENCY playlists at once, 4 by default; each playlist's batches go
one at a time, as they must land in order).

In process: the whole stack (teststack) and the emulator, as the tests start them. The save
before the restore runs without latency; only the restore is timed.

    make bench-restore        # or: .venv/bin/python bench/restore.py --help
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests
from teststack.fixtures import make_emulator
from teststack.stack import Stack

from spotify_emulator import Faults, LibrarySpec
from spotify_emulator.emulator import ALL_SCOPES, WRITE_SCOPES

USER = "tapedeck-demo"


def login_for_restores(url: str, user: str) -> str:
    """A login with the restore's second consent (/auth/login?scope=restore)."""
    with requests.Session() as browser:
        start = browser.get(
            f"{url}/auth/login", params={"scope": "restore"}, allow_redirects=False, timeout=10
        )
        parts = urlsplit(start.headers["location"])
        query = parse_qs(parts.query) | {"emulator_user": [user]}
        approved = requests.get(
            urlunsplit(parts._replace(query=urlencode(query, doseq=True))),
            allow_redirects=False,
            timeout=10,
        )
        callback = urlsplit(approved.headers["location"])
        gateway = urlsplit(url)
        back = browser.get(
            urlunsplit(callback._replace(scheme=gateway.scheme, netloc=gateway.netloc)),
            headers={"Accept": "application/json"},
            timeout=10,
        )
    token: str = back.json()["token"]
    return token


def wait(session: requests.Session, url: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, Any] = session.get(url, timeout=30).json()
        if found["status"] not in ("queued", "running"):
            return found
        if time.monotonic() > deadline:
            raise SystemExit(f"not done in {timeout}s: {found['progress']}")
        time.sleep(0.1)


def _seconds(start: str, end: str) -> float:
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 2)


def run(playlists: int, items: int, latency_ms: int, concurrency: int) -> dict[str, Any]:
    spec = LibrarySpec(playlists=playlists, playlist_items=items, liked=0, albums=0, artists=0)
    emulator = make_emulator(library=spec)
    with tempfile.TemporaryDirectory() as data:
        stack = Stack.start(
            emulator, Path(data), spotify_concurrency=8, restore_concurrency=concurrency
        )
        try:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {login_for_restores(stack.url, USER)}"
            started = session.post(f"{stack.url}/api/v1/library/saves", json={}, timeout=30)
            save = wait(session, f"{stack.url}/api/v1/library/saves/{started.json()['id']}", 900)
            assert save["status"] == "succeeded", save
            user = emulator.user(USER)
            own = [p for p in user.playlists_simplified() if not user.items_withheld(p["id"])]
            sizes = {}
            for p in own:
                uris = [
                    (i.get("item") or {}).get("uri")
                    for i in user.playlist_items(p["id"])
                    if not i["is_local"]
                ]
                sizes[p["id"]] = sum(1 for u in uris if u)
            hand = requests.Session()
            token = emulator.issue_token(USER, f"{ALL_SCOPES} {WRITE_SCOPES}")["access_token"]
            hand.headers["Authorization"] = f"Bearer {token}"
            for start in range(0, len(own), 40):
                chunk = ",".join(f"spotify:playlist:{p['id']}" for p in own[start : start + 40])
                hand.delete(
                    f"{emulator.api_url}/me/library", params={"uris": chunk}
                ).raise_for_status()
            minimum = sum(1 + math.ceil(n / 100) for n in sizes.values())
            emulator.reset_stats()
            emulator.set_faults(Faults(latency_ms=latency_ms))
            began = time.perf_counter()
            answer = session.post(
                f"{stack.url}/api/v1/restores",
                json={"source": {"save": save["id"]}, "playlists": list(sizes), "mode": "new"},
                timeout=60,
            )
            done = wait(session, f"{stack.url}/api/v1/restores/{answer.json()['id']}", 3600)
            wall = time.perf_counter() - began
            emulator.set_faults(Faults())
            writes = emulator.writes()
            stats = emulator.stats()
            return {
                "playlists": len(sizes),
                "items": sum(sizes.values()),
                "latency_ms": latency_ms,
                "status": done["status"],
                "write_requests": writes["total"],
                "minimum_write_requests": minimum,
                "spotify_requests": stats["total"],
                "concurrency": concurrency,
                "wall_s": round(wall, 2),
                # Reading the save and planning (created to started), then writing.
                "prepare_s": _seconds(done["created_at"], done["started_at"]),
                "write_s": _seconds(done["started_at"], done["finished_at"]),
                "minimum_wall_s": round(minimum * latency_ms / 1000 / concurrency, 2),
            }
        finally:
            stack.stop()
            emulator.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--playlists", type=int, default=500, help="workload L: 500")
    parser.add_argument("--items", type=int, default=60_000, help="workload L: 60,000")
    parser.add_argument("--latency-ms", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=4, help="playlists at once")
    args = parser.parse_args()
    result = run(args.playlists, args.items, args.latency_ms, args.concurrency)
    print(json.dumps(result, indent=2))  # noqa: T201


if __name__ == "__main__":
    main()
