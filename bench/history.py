"""Benchmark: the ledger (History) on workload L. A first save, unchanged re-saves (the
baseline), then N saves each after 1% changes (playlist items added and removed in 30
playlists, liked songs, albums and artists), at 25 ms per Spotify request, 2026 mode.

Reports, as JSON: what the ledger adds to each save (the library's "changes recorded" log
lines: per kind, the seconds from the sync's result to the kind recorded complete with its
events, and how many events), against the unchanged re-save's wall time; the latency (p50,
p99) of `GET /api/v1/playlists/{id}/history` and `/cumulative` of the largest playlist; the
library database's size.

    make bench-history            # or: .venv/bin/python bench/history.py --help
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from library_save import (
    USER,
    check_library,
    database_bytes,
    minimum_requests,
    save,
    warm_up,
)
from load import run
from processes import Processes, stack
from teststack.login import login

from kit.settings import SERVICES


def ledger_lines(processes: Processes, save_id: str) -> dict[str, dict[str, Any]]:
    """The library's "changes recorded" lines of one save, by kind."""
    found: dict[str, dict[str, Any]] = {}
    for line in (processes.data_dir / "library.log").read_text().splitlines():
        if '"changes recorded"' not in line or save_id not in line:
            continue
        record = json.loads(line)
        found[record["kind"]] = {"events": record["events"], "seconds": record["seconds"]}
    return found


def one_percent(emulator: str, playlist_ids: list[str], r: random.Random) -> None:
    """About 1% of each kind changed: 600 of 60,000 playlist items (10 added and 10 removed
    in each of 30 playlists), 100 of 10,000 liked songs, 16 of 1,500 albums, 8 of 800
    artists (half added, half removed), through the emulator's admin API."""
    admin = f"{emulator}/_emulator/users/{USER}"
    for pid in r.sample(playlist_ids, 30):
        requests.post(
            f"{admin}/playlists/{pid}/change", json={"add": 10, "remove": 10}, timeout=30
        ).raise_for_status()
    for edit, n in (
        ("like-tracks", 50),
        ("unlike-tracks", 50),
        ("save-albums", 8),
        ("remove-albums", 8),
        ("follow-artists", 4),
        ("unfollow-artists", 4),
    ):
        requests.post(f"{admin}/{edit}", json={"n": n}, timeout=30).raise_for_status()


def latency(url: str, auth: dict[str, str], concurrency: int, seconds: float) -> dict[str, Any]:
    run(url, auth, concurrency, 1.0)  # warm-up
    return run(url, auth, concurrency, seconds).report()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--latency-ms", type=int, default=25)
    parser.add_argument("--saves", type=int, default=30, help="saves after 1%% changes each")
    parser.add_argument("--resaves", type=int, default=3, help="unchanged re-saves (baseline)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per latency run")
    parser.add_argument("--load-concurrency", type=int, default=4)
    args = parser.parse_args()

    minimum = minimum_requests(args.seed)
    emulator_args = (
        *("--profile", "workload_l", "--mode", "2026"),
        *("--seed", str(args.seed), "--latency-ms", str(args.latency_ms)),
    )
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "workload": {"profile": "workload_l", "mode": "2026", "seed": args.seed}
        | minimum["summary"],
        "latency_ms": args.latency_ms,
    }
    r = random.Random(args.seed)
    with stack(SERVICES, emulator_args) as (processes, gateway, emulator):
        check_library(emulator, minimum["summary"])
        warm_up(emulator, args.latency_ms)
        auth = {"Authorization": f"Bearer {login(gateway, USER)}"}

        body, wall = save(gateway, auth)
        report["first_save"] = {
            "status": body["status"],
            "wall_s": round(wall, 2),
            "ledger": ledger_lines(processes, body["id"]),
        }
        unchanged = []
        for _ in range(args.resaves):
            body, wall = save(gateway, auth)
            unchanged.append(round(wall, 3))
        report["unchanged_resaves_wall_s"] = unchanged
        baseline = statistics.median(unchanged)

        playlist_ids = requests.get(f"{emulator}/_emulator/users/{USER}", timeout=30).json()[
            "playlist_ids"
        ]
        changed = []
        for _ in range(args.saves):
            one_percent(emulator, playlist_ids, r)
            body, wall = save(gateway, auth)
            lines = ledger_lines(processes, body["id"])
            changed.append(
                {
                    "status": body["status"],
                    "wall_s": round(wall, 3),
                    "events": sum(k["events"] for k in lines.values()),
                    "ledger_max_s": max((k["seconds"] for k in lines.values()), default=0.0),
                    "ledger_sum_s": round(sum(k["seconds"] for k in lines.values()), 4),
                    "by_kind": lines,
                    "error": body.get("error"),
                }
            )
        ledger_max = statistics.median(c["ledger_max_s"] for c in changed)
        report["changed_saves"] = {
            "n": len(changed),
            "statuses": sorted({c["status"] for c in changed}),
            "median_wall_s": statistics.median(c["wall_s"] for c in changed),
            "median_events": statistics.median(c["events"] for c in changed),
            "median_ledger_max_s": ledger_max,
            "median_ledger_sum_s": statistics.median(c["ledger_sum_s"] for c in changed),
            "p90_ledger_max_s": sorted(c["ledger_max_s"] for c in changed)[
                int(0.9 * (len(changed) - 1))
            ],
            "ledger_vs_unchanged_resave": round(ledger_max / baseline, 3),
            "saves": changed,
        }

        largest = minimum["largest_playlist"]
        history_url = f"{gateway}/api/v1/playlists/{largest['id']}/history?limit=50"
        cumulative_url = f"{gateway}/api/v1/playlists/{largest['id']}/cumulative?limit=50"
        deep_cumulative = f"{cumulative_url}&offset={max(largest['items'] - 50, 0)}"
        history = requests.get(history_url, headers=auth, timeout=60).json()
        began = time.perf_counter()
        cumulative = requests.get(cumulative_url, headers=auth, timeout=60).json()
        first_cumulative_ms = round((time.perf_counter() - began) * 1000, 1)
        report["largest_playlist"] = {
            "id": largest["id"],
            "items": largest["items"],
            "events": history["total"],
            "cumulative_entries": cumulative["total"],
            # The first read folds the playlist's events; later ones reuse the fold.
            "cumulative_first_request_ms": first_cumulative_ms,
            "concurrency": args.load_concurrency,
            "seconds": args.seconds,
            "history_limit_50": latency(history_url, auth, args.load_concurrency, args.seconds),
            "cumulative_limit_50": latency(
                cumulative_url, auth, args.load_concurrency, args.seconds
            ),
            "cumulative_last_page": latency(
                deep_cumulative, auth, args.load_concurrency, args.seconds
            ),
        }
        files = database_bytes(processes.data_dir)
        report["database_bytes"] = {
            "library": sum(v for k, v in files.items() if k.startswith("library.")),
            "all": sum(files.values()),
        }
    print(json.dumps(report, indent=2))  # noqa: T201 - a benchmark's output is its report


if __name__ == "__main__":
    main()
