"""Benchmark: exports, on the processes as `make run` starts them.

1. The CSV export of one playlist of 10,000 and of 100,000 items (the `tiny` library with
   its 130-item playlist grown through the emulator's admin API), each in a fresh stack.
2. The whole-library zip of workload L (500 playlists / 60,000 items, 10,000 liked songs,
   1,500 albums, 800 artists), as CSV and as JSON.

Each export is timed (first byte, last byte) and read as fast as it comes (1 MiB reads,
nothing kept), with the client's own CPU time beside it to show the client is not what
limits it. Before each export the Tapedeck processes are started again (the save before it
leaves its own high-water mark), and each one's peak RSS (VmHWM) is read after it. The
simple alternative is measured the same way: the same items through the paged JSON API
(`limit=100`, following `next`, every page parsed), as a client without exports would read
them.

    make bench-exports        # or: .venv/bin/python bench/exports.py --help
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from library_save import emulator_token, save
from processes import Processes, stack, wait_http, wait_serving
from teststack.login import login

from kit.credentials import derive
from kit.settings import SERVICES

USER = "tapedeck-demo"
TAPEDECK = (*SERVICES, "gateway")
READ = 1 << 20


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def restart(processes: Processes, gateway: str) -> None:
    """Every Tapedeck process stopped and started again on its data (a fresh root
    credential, as `make run` makes one per start), so a measurement starts from a
    process's start-up memory rather than the save's high-water mark."""
    for name in TAPEDECK:
        processes.running[name].terminate()
    for name in TAPEDECK:
        processes.running[name].wait(timeout=30)
    root = secrets.token_urlsafe(32)
    for name in SERVICES:
        processes.start(name, name, env={"TAPEDECK_INTERNAL_TOKEN": root})
    processes.start(
        "gateway", "gateway", env={"TAPEDECK_CALLER_CREDENTIAL": derive(root, "gateway")}
    )
    wait_http(f"{gateway}/healthz")
    wait_serving(gateway, SERVICES)


def _status_kb(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith(field))


def reset_peaks(processes: Processes) -> dict[str, float]:
    """Resets each Tapedeck process's VmHWM to its RSS now (Linux: clear_refs 5); returns
    those RSS in MB."""
    now = {}
    for name in TAPEDECK:
        pid = processes.running[name].pid
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        now[name] = round(_status_kb(pid, "VmRSS:") / 1024, 1)
    return now


def peaks(processes: Processes) -> dict[str, float]:
    return {
        name: round(_status_kb(processes.running[name].pid, "VmHWM:") / 1024, 1)
        for name in TAPEDECK
    }


def measured(processes: Processes, read: Any) -> dict[str, Any]:
    """Runs `read()` (returning what it counted) between a reset of the peaks and their
    reading; the wall time, the client's CPU time and each process's CPU time."""
    rss_before = reset_peaks(processes)
    cpu_before = processes.cpu_seconds()
    client_before = time.process_time()
    began = time.perf_counter()
    counted = read(began)
    wall = time.perf_counter() - began
    client = time.process_time() - client_before
    cpu_after = processes.cpu_seconds()
    return {
        **counted,
        "wall_s": round(wall, 2),
        "client_cpu_s": round(client, 2),
        "client_cpu_share": round(client / wall, 3),
        "cpu_s": {n: round(cpu_after[n] - cpu_before[n], 2) for n in TAPEDECK},
        "rss_before_mb": rss_before,
        "peak_rss_mb": peaks(processes),
    }


def download(url: str, auth: dict[str, str], params: dict[str, str] | None = None) -> Any:
    """A reader of one export: streams the body, keeping nothing."""

    def read(began: float) -> dict[str, Any]:
        first = None
        size = 0
        with requests.get(url, headers=auth, params=params, stream=True, timeout=600) as answer:
            if answer.status_code != 200:
                raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")
            for chunk in answer.raw.stream(READ, decode_content=False):
                if first is None:
                    first = time.perf_counter() - began
                size += len(chunk)
        return {"bytes": size, "first_byte_s": round(first or 0.0, 3)}

    return read


def paged(gateway: str, auth: dict[str, str], paths: list[str]) -> Any:
    """The alternative: the same items through the paged JSON API, every page parsed."""

    def read(began: float) -> dict[str, Any]:
        session = requests.Session()
        session.headers.update(auth)
        pages = items = size = 0
        for path in paths:
            url: str | None = f"{gateway}{path}?limit=100"
            while url:
                answer = session.get(url, timeout=60)
                answer.raise_for_status()
                body = answer.json()
                pages += 1
                items += len(body["items"])
                size += len(answer.content)
                url = body["next"]
        return {"requests": pages, "items": items, "bytes": size}

    return read


def admin_playlists(emulator: str) -> list[dict[str, Any]]:
    token = emulator_token(emulator)
    answer = requests.get(
        f"{emulator}/v1/me/playlists",
        headers={"Authorization": f"Bearer {token}"},
        params={"limit": 50},
        timeout=30,
    )
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["items"]
    return found


def one_playlist(size: int, seed: int) -> dict[str, Any]:
    """A fresh stack on the tiny library whose largest own playlist is grown to `size`
    items, saved, restarted; then its CSV export and the paged reads of the same items."""
    emulator_args = ("--profile", "tiny", "--mode", "2026", "--seed", str(seed))
    with stack(SERVICES, emulator_args) as (processes, gateway, emulator):
        largest = max(
            (p for p in admin_playlists(emulator) if p["owner"]["id"] == USER),
            key=lambda p: p["items"]["total"],
        )
        grow = size - largest["items"]["total"]
        requests.post(
            f"{emulator}/_emulator/users/{USER}/playlists/{largest['id']}/change",
            json={"add": grow, "remove": 0},
            timeout=120,
        ).raise_for_status()
        auth = {"Authorization": f"Bearer {login(gateway, USER)}"}
        body, save_s = save(gateway, auth)
        if body["status"] != "succeeded":
            raise RuntimeError(f"the save ended {body['status']}: {body.get('error')}")
        restart(processes, gateway)
        auth = {"Authorization": f"Bearer {login(gateway, USER)}"}
        pid = largest["id"]
        csv = measured(processes, download(f"{gateway}/api/v1/exports/playlists/{pid}.csv", auth))
        api = measured(processes, paged(gateway, auth, [f"/api/v1/playlists/{pid}/tracks"]))
        return {"items": size, "save_s": round(save_s, 1), "csv": csv, "paged_json_api": api}


def library_zip(seed: int) -> dict[str, Any]:
    """Workload L saved, then its zip as CSV and as JSON, and the CSV zip's items through
    the paged API (every playlist's items and the liked songs)."""
    emulator_args = ("--profile", "workload_l", "--mode", "2026", "--seed", str(seed))
    result: dict[str, Any] = {}
    with stack(SERVICES, emulator_args) as (processes, gateway, emulator):
        auth = {"Authorization": f"Bearer {login(gateway, USER)}"}
        body, save_s = save(gateway, auth)
        if body["status"] not in ("succeeded", "partial"):
            raise RuntimeError(f"the save ended {body['status']}: {body.get('error')}")
        result["save"] = {"status": body["status"], "wall_s": round(save_s, 1)}
        result["counts"] = body.get("counts")
        zip_url = f"{gateway}/api/v1/exports/library.zip"
        for form in ("csv", "json"):
            restart(processes, gateway)
            auth = {"Authorization": f"Bearer {login(gateway, USER)}"}
            result[f"zip_{form}"] = measured(processes, download(zip_url, auth, {"format": form}))
        restart(processes, gateway)
        auth = {"Authorization": f"Bearer {login(gateway, USER)}"}
        ids: list[str] = []
        url: str | None = f"{gateway}/api/v1/playlists?limit=100"
        while url:
            page = requests.get(url, headers=auth, timeout=60).json()
            ids.extend(p["id"] for p in page["items"])
            url = page["next"]
        paths = [f"/api/v1/playlists/{pid}/tracks" for pid in ids] + ["/api/v1/tracks"]
        result["paged_json_api_for_the_csv_zip"] = measured(processes, paged(gateway, auth, paths))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--skip-zip", action="store_true")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "commit": git_commit(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    report["playlist_csv"] = [one_playlist(size, args.seed) for size in args.sizes]
    by_size = {r["items"]: r for r in report["playlist_csv"]}
    if 10_000 in by_size and 100_000 in by_size:
        small, large = by_size[10_000]["csv"], by_size[100_000]["csv"]
        report["peak_rss_100k_vs_10k"] = {
            name: round(large["peak_rss_mb"][name] / small["peak_rss_mb"][name], 3)
            for name in TAPEDECK
        }
        report["time_100k_vs_10k"] = round(large["wall_s"] / small["wall_s"], 2)
    if not args.skip_zip:
        report["workload_l_zip"] = library_zip(args.seed)
    print(json.dumps(report, indent=2))  # noqa: T201 - a benchmark's output is its report


if __name__ == "__main__":
    main()
