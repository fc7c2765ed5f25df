"""Benchmark: what authentication and a library read cost a request at the gateway.

With every process as `make run` starts it (one each, on free loopback ports), after a save
of the emulator's library: requests/s and p50/p99 latency of `GET /healthz`,
`GET /api/v1/me` and `GET /api/v1/playlists/{id}/tracks?limit=100` on the same run, 32
keep-alive connections each (`load.py`), and their ratios to `/healthz`. First, the load
generator's own ceiling: the same load against a trivial server in its own process
(`raw_server.py`), and `wrk` on the same `/healthz` when it is installed.

    make bench-auth            # or: .venv/bin/python bench/auth_overhead.py --seconds 10
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import Result, run
from processes import Processes, raw_server, stack
from teststack.login import login

from kit.settings import SERVICES

USER = "tapedeck-demo"
ENDED = ("succeeded", "partial", "failed")
TARGETS = {"me": 0.7, "tracks": 0.5}
P99_BOUND = 3.0


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def wrk(url: str, concurrency: int, seconds: float) -> dict[str, Any] | None:
    """`wrk`'s figure for the same load (one thread, as many connections), if installed."""
    binary = shutil.which("wrk")
    if binary is None:
        return None
    out = subprocess.run(
        [binary, "-t1", f"-c{concurrency}", f"-d{max(int(seconds), 1)}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"\s50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", out)

    def ms(match: re.Match[str] | None) -> float | None:
        if match is None:
            return None
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]
        return round(float(match.group(1)) * scale, 2)

    return {
        "rps": round(float(rps.group(1))) if rps else None,
        "p50_ms": ms(p50),
        "p99_ms": ms(p99),
    }


def save_library(gateway: str, auth: dict[str, str]) -> dict[str, Any]:
    answer = requests.post(f"{gateway}/api/v1/library/saves", headers=auth, json={}, timeout=30)
    answer.raise_for_status()
    save_id = answer.json()["id"]
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        body: dict[str, Any] = requests.get(
            f"{gateway}/api/v1/library/saves/{save_id}", headers=auth, timeout=30
        ).json()
        if body["status"] in ENDED:
            if body["status"] != "succeeded":
                raise RuntimeError(f"the save ended {body['status']}: {body['error']}")
            return body
        time.sleep(0.05)
    raise RuntimeError("the save did not end in 300 s")


def largest_playlist(gateway: str, auth: dict[str, str]) -> dict[str, Any]:
    page = requests.get(
        f"{gateway}/api/v1/playlists", headers=auth, params={"limit": 100}, timeout=30
    ).json()
    best = max(page["items"], key=lambda p: p["tapedeck"]["items_saved"])
    return {"id": best["id"], "items": best["tapedeck"]["items_saved"]}


def measured(
    processes: Processes, url: str, headers: dict[str, str], concurrency: int, seconds: float
) -> tuple[Result, dict[str, float]]:
    """The load's result and the CPU seconds each process spent during it."""
    before = processes.cpu_seconds()
    result = run(url, headers, concurrency, seconds)
    after = processes.cpu_seconds()
    spent = {name: round(after[name] - before[name], 2) for name in after}
    return result, {name: s for name, s in sorted(spent.items(), key=lambda i: -i[1]) if s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per route")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--profile", default="tiny", help="the emulator's library")
    args = parser.parse_args()
    c, seconds = args.concurrency, args.seconds

    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "commit": _commit(),
        "load_average_at_start": os.getloadavg(),
        "concurrency": c,
        "seconds": seconds,
    }
    with raw_server() as raw:
        run(f"{raw}/healthz", {}, c, 1.0)
        report["generator_ceiling"] = {
            "raw_server": run(f"{raw}/healthz", {}, c, seconds).report(),
            "raw_server_wrk": wrk(f"{raw}/healthz", c, seconds),
        }

    with stack(SERVICES, ("--profile", args.profile)) as (processes, gateway, _):
        auth = {"Authorization": f"Bearer {login(gateway, USER)}"}
        save_library(gateway, auth)
        playlist = largest_playlist(gateway, auth)
        tracks = f"{gateway}/api/v1/playlists/{playlist['id']}/tracks?limit=100"
        routes = {
            "healthz": (f"{gateway}/healthz", {}),
            "me": (f"{gateway}/api/v1/me", auth),
            "tracks": (tracks, auth),
        }
        for url, headers in routes.values():
            run(url, headers, c, 1.0)  # warm-up
        results = {}
        for name, (url, headers) in routes.items():
            result, cpu = measured(processes, url, headers, c, seconds)
            results[name] = result
            report[name] = result.report() | {"cpu_s": cpu}
        report["tracks"]["playlist"] = playlist
        report["healthz_wrk"] = wrk(f"{gateway}/healthz", c, seconds)

    health = results["healthz"]
    report["ratios"] = {
        name: {
            "rps_vs_healthz": round(results[name].rps / health.rps, 3),
            "p99_vs_healthz": round(results[name].p99_ms / health.p99_ms, 2),
            "met": results[name].rps / health.rps >= target
            and results[name].p99_ms < P99_BOUND * health.p99_ms,
            "target": f">= {target}x rps, p99 < {P99_BOUND}x",
        }
        for name, target in TARGETS.items()
    }
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=2))  # noqa: T201 - a benchmark's output is its report


if __name__ == "__main__":
    main()
