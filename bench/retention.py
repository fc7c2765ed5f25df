"""Benchmark: pruning workload L. A first save, then N saves each after 1% changes
(bench/history.py's), all kept (TAPEDECK_RETENTION=last=1000); then the rule becomes "the
last 5 saves" and one more, unchanged, save prunes the rest: the saves' versions are
forgotten and every entity service collects garbage (and compacts its SQLite file).

Reports, as JSON: every database file's bytes (with its write-ahead log) before and after
pruning, the saves left, the pruning save's wall time against an unchanged re-save's, and
each entity service's "garbage collected" log line (what went, seconds to collect and to
compact). Every process is real (bench.processes), 2026 mode.

    make bench-retention            # or: .venv/bin/python bench/retention.py --help
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from history import one_percent
from library_save import USER, check_library, database_bytes, minimum_requests, save, warm_up
from processes import Processes, stack
from teststack.login import login

from kit.settings import ENTITY_SERVICES, SERVICES


def gc_lines(processes: Processes) -> dict[str, list[dict[str, Any]]]:
    """Each entity service's "garbage collected" log lines that deleted something."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name in ENTITY_SERVICES:
        log = processes.data_dir / f"{name}.log"
        if not log.exists():
            continue
        for line in log.read_text().splitlines():
            if '"garbage collected"' not in line:
                continue
            record = json.loads(line)
            if record.get("listings") or record.get("objects"):
                keys = ("listings", "objects", "collect_s", "compact_s", "bytes_before")
                found.setdefault(name, []).append(
                    {k: record.get(k) for k in (*keys, "bytes_after")}
                )
    return found


def by_service(files: dict[str, int]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for name, size in files.items():
        service = name.split(".")[0]
        totals[service] = totals.get(service, 0) + size
    totals["all"] = sum(files.values())
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--latency-ms", type=int, default=25)
    parser.add_argument("--saves", type=int, default=30, help="saves after 1%% changes each")
    parser.add_argument("--keep", type=int, default=5, help="the saves the rule keeps")
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
        "saves": args.saves,
        "keep": args.keep,
    }
    r = random.Random(args.seed)
    env = {"TAPEDECK_RETENTION": "last=1000"}
    with stack(SERVICES, emulator_args, extra_env=env) as (processes, gateway, emulator):
        check_library(emulator, minimum["summary"])
        warm_up(emulator, args.latency_ms)
        auth = {"Authorization": f"Bearer {login(gateway, USER)}"}
        body, wall = save(gateway, auth)
        report["first_save_wall_s"] = round(wall, 2)
        body, wall = save(gateway, auth)
        report["unchanged_resave_wall_s"] = round(wall, 3)
        playlist_ids = requests.get(f"{emulator}/_emulator/users/{USER}", timeout=30).json()[
            "playlist_ids"
        ]
        walls = []
        for _ in range(args.saves):
            one_percent(emulator, playlist_ids, r)
            body, wall = save(gateway, auth)
            if body["status"] != "succeeded":
                raise RuntimeError(f"a save did not succeed: {body}")
            walls.append(round(wall, 3))
        report["changed_saves_wall_s"] = walls
        saves = requests.get(f"{gateway}/api/v1/library/saves", headers=auth, timeout=30).json()
        report["saves_before"] = saves["total"]
        report["bytes_before"] = by_service(database_bytes(processes.data_dir))

        rule = {"last": args.keep, "daily": 0, "weekly": 0, "monthly": 0}
        requests.put(
            f"{gateway}/api/v1/library/retention", headers=auth, json=rule, timeout=30
        ).raise_for_status()
        before = {name: len(lines) for name, lines in gc_lines(processes).items()}
        body, wall = save(gateway, auth)
        report["pruning_save"] = {"status": body["status"], "wall_s": round(wall, 3)}
        # The collections run after the save's end is told: wait for each service's.
        began = time.monotonic()
        while any(
            len(gc_lines(processes).get(name, [])) <= before.get(name, 0)
            for name in ENTITY_SERVICES
        ):
            if time.monotonic() - began > 900:
                raise RuntimeError("the garbage collections did not end in 15 minutes")
            time.sleep(0.2)
        report["collections_done_after_s"] = round(time.monotonic() - began, 2)
        saves = requests.get(f"{gateway}/api/v1/library/saves", headers=auth, timeout=30).json()
        report["saves_after"] = saves["total"]
        report["bytes_after"] = by_service(database_bytes(processes.data_dir))
        report["ratio_after_before"] = round(
            report["bytes_after"]["all"] / report["bytes_before"]["all"], 3
        )
        report["garbage_collected"] = {
            name: lines[before.get(name, 0) :] for name, lines in gc_lines(processes).items()
        }
    print(json.dumps(report, indent=2))  # noqa: T201 - a benchmark's output is its report


if __name__ == "__main__":
    main()
