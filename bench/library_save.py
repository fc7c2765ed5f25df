"""Benchmark: saving workload L (500 playlists / 60,000 items, 10,000 liked songs, 1,500
saved albums, 800 followed artists) from the emulator at 25 ms per request, 2026 mode.

Reports, as JSON: Spotify requests of the first save against the minimum the paging allows
and of an unchanged re-save; the first save's wall time against an ideal client (same pages,
8 in flight, stores nothing), a sequential spotipy loop, and requests x latency / 8; each
service's peak RSS; the databases' size after the first save and after 10 unchanged
re-saves; and a large playlist's read throughput against /healthz.

    make bench-library            # or: .venv/bin/python bench/library_save.py --help
    .venv/bin/python bench/library_save.py --clients-only   # only the ideal and spotipy clients
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ideal_client
import sequential_spotipy
from load import Result, run
from processes import Processes, emulator_only, stack
from teststack.login import login

from kit.settings import SERVICES
from spotify_emulator import Emulator, EmulatorConfig, LibrarySpec

USER = "tapedeck-demo"
TAPEDECK = (*SERVICES, "gateway")
FINISHED = ("succeeded", "partial", "failed")
PAGE = 50
SAVE_TIMEOUT_S = 600.0


# --- the minimum -------------------------------------------------------------------------


def minimum_requests(seed: int) -> dict[str, Any]:
    """The fewest Spotify requests that fetch the whole library, by route, computed from the
    same seeded library the emulator process serves (nothing is started)."""
    emu = Emulator(
        EmulatorConfig(
            seed=seed,
            mode="2026",
            library=LibrarySpec.workload_l(),
            client_id="bench",
            client_secret="bench",
        )
    )
    user = emu.user(USER)

    def pages(total: int) -> int:  # an empty list still takes its one page
        return max(1, math.ceil(total / PAGE))

    routes: Counter[str] = Counter()
    playlists = user.playlists_simplified()
    routes["GET /v1/me/playlists"] = pages(len(playlists))
    largest = ("", -1)
    for simple in playlists:
        routes["GET /v1/playlists/{id}"] += 1
        nested = user.playlist(simple["id"])["items"]  # None: withheld, nothing more to ask
        if nested is None:
            continue
        rest = nested["total"] - (nested["offset"] + nested["limit"])
        routes["GET /v1/playlists/{id}/items"] += max(0, math.ceil(rest / PAGE))
        if nested["total"] > largest[1]:
            largest = (simple["id"], nested["total"])
    routes["GET /v1/me/tracks"] = pages(len(user.saved_tracks()))
    saved_albums = user.saved_albums()
    routes["GET /v1/me/albums"] = pages(len(saved_albums))
    for saved in saved_albums:
        tracks = saved["album"]["tracks"]
        rest = tracks["total"] - len(tracks["items"])
        routes["GET /v1/albums/{id}/tracks"] += max(0, math.ceil(rest / PAGE))
    routes["GET /v1/me/following"] = pages(len(user.followed_artists()))
    return {
        "total": sum(routes.values()),
        "by_route": dict(routes),
        "summary": user.summary(),
        "largest_playlist": {"id": largest[0], "items": largest[1]},
    }


# --- the emulator's admin API --------------------------------------------------------------


def emulator_token(emulator: str) -> str:
    answer = requests.post(f"{emulator}/_emulator/users/{USER}/token", json={}, timeout=10)
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def reset_stats(emulator: str) -> None:
    requests.post(f"{emulator}/_emulator/stats/reset", timeout=10).raise_for_status()


def stats(emulator: str) -> dict[str, Any]:
    answer = requests.get(f"{emulator}/_emulator/stats", timeout=10)
    answer.raise_for_status()
    snapshot: dict[str, Any] = answer.json()
    return snapshot


def set_latency(emulator: str, latency_ms: int) -> None:
    requests.put(
        f"{emulator}/_emulator/faults", json={"latency_ms": latency_ms}, timeout=10
    ).raise_for_status()


def check_library(emulator: str, expected: dict[str, Any]) -> None:
    """The emulator process serves the library the minimum was computed from."""
    served = requests.get(f"{emulator}/_emulator/users/{USER}", timeout=30).json()
    mismatched = {k: (v, served.get(k)) for k, v in expected.items() if served.get(k) != v}
    if mismatched:
        raise RuntimeError(f"the emulator serves another library: {mismatched}")


def warm_up(emulator: str, latency_ms: int) -> None:
    """One pass over the library without latency: the emulator builds and caches its objects
    on first use, and no measured client should pay for that (or profit from another's)."""
    set_latency(emulator, 0)
    ideal_client.fetch_library(f"{emulator}/v1", emulator_token(emulator), concurrency=8)
    set_latency(emulator, latency_ms)


# --- other clients -------------------------------------------------------------------------


def other_clients(emulator: str, concurrency: int, runs: int, spotipy_loop: bool) -> dict[str, Any]:
    """The ideal client (`runs` times: best and median) and the sequential spotipy loop,
    with the emulator's count of the requests each made."""
    api = f"{emulator}/v1"
    results: dict[str, Any] = {}
    seconds, counted, in_flight = [], [], []
    for _ in range(runs):
        reset_stats(emulator)
        began = time.perf_counter()
        ideal_client.fetch_library(api, emulator_token(emulator), concurrency)
        seconds.append(round(time.perf_counter() - began, 2))
        counted.append(stats(emulator)["total"])
        in_flight.append(stats(emulator)["max_in_flight_by_user"].get(USER))
    results["ideal_client"] = {
        "seconds": min(seconds),
        "median_s": statistics.median(seconds),
        "runs_s": seconds,
        "concurrency": concurrency,
        "max_in_flight": max(in_flight),
        "requests": counted[0] if len(set(counted)) == 1 else counted,
    }
    if spotipy_loop:
        reset_stats(emulator)
        began = time.perf_counter()
        sequential_spotipy.fetch_library(api, emulator_token(emulator))
        results["sequential_spotipy"] = {
            "seconds": round(time.perf_counter() - began, 2),
            "requests": stats(emulator)["total"],
        }
    return results


# --- Tapedeck ------------------------------------------------------------------------------


def save(gateway: str, auth: dict[str, str], poll_s: float = 0.05) -> tuple[dict[str, Any], float]:
    """Starts a save, polls it until it ends; returns the save object and the wall time."""
    began = time.perf_counter()
    answer = requests.post(f"{gateway}/api/v1/library/saves", headers=auth, json={}, timeout=30)
    if answer.status_code != 202:
        raise RuntimeError(f"save not started: {answer.status_code} {answer.text}")
    save_id = answer.json()["id"]
    deadline = time.monotonic() + SAVE_TIMEOUT_S
    while time.monotonic() < deadline:
        current = requests.get(
            f"{gateway}/api/v1/library/saves/{save_id}", headers=auth, timeout=30
        )
        current.raise_for_status()
        body: dict[str, Any] = current.json()
        if body["status"] in FINISHED:
            return body, time.perf_counter() - began
        time.sleep(poll_s)
    raise RuntimeError(f"save {save_id} did not finish in {SAVE_TIMEOUT_S} s")


def peak_rss_mb(processes: Processes) -> dict[str, float]:
    """VmHWM (peak resident set since start) of each Tapedeck process, in MB."""
    peaks = {}
    for name in TAPEDECK:
        status = Path(f"/proc/{processes.running[name].pid}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        peaks[name] = round(kb / 1024, 1)
    return peaks


def database_bytes(data_dir: Path) -> dict[str, int]:
    """Bytes of every SQLite database file and its -wal file (not -shm, an index of the WAL)."""
    return {
        path.name: path.stat().st_size
        for path in sorted(data_dir.iterdir())
        if path.name.endswith((".db", ".db-wal"))
    }


def load_result(result: Result) -> dict[str, Any]:
    return {
        "rps": round(result.rps),
        "p50_ms": round(result.p50_ms, 2),
        "p99_ms": round(result.p99_ms, 2),
        "errors": result.errors,
    }


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    began, ended = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (start, end))
    return round((ended - began).total_seconds(), 2)


def save_summary(body: dict[str, Any], wall_s: float, requests_made: int) -> dict[str, Any]:
    return {
        "status": body["status"],
        "wall_s": round(wall_s, 2),
        "spotify_requests": requests_made,
        "spotify_requests_reported_by_tapedeck": body.get("spotify_requests"),
        "started_to_finished_s": _seconds_between(body.get("started_at"), body.get("finished_at")),
        "counts": body.get("counts"),
        "error": body.get("error"),
    }


def first_save(
    processes: Processes, gateway: str, emulator: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """Logs in and measures a first save into empty databases; returns its summary and the
    login's headers."""
    token = login(gateway, USER)
    auth = {"Authorization": f"Bearer {token}"}
    reset_stats(emulator)
    cpu_before = processes.cpu_seconds()
    body, wall = save(gateway, auth)
    cpu_after = processes.cpu_seconds()
    counted = stats(emulator)
    summary = save_summary(body, wall, counted["total"])
    summary["cpu_s_by_process"] = {
        name: round(cpu_after[name] - cpu_before[name], 2) for name in cpu_after
    }
    # The most of the user's requests in flight at once (the emulator counts, latency
    # included): the concurrency the save really had, all kinds together.
    summary["max_in_flight"] = counted["max_in_flight_by_user"].get(USER)
    summary["by_route"] = counted["by_route"]
    summary["by_status"] = counted["by_status"]
    return summary, auth


def ideal_once(emulator: str, concurrency: int) -> float:
    reset_stats(emulator)
    began = time.perf_counter()
    ideal_client.fetch_library(f"{emulator}/v1", emulator_token(emulator), concurrency)
    return round(time.perf_counter() - began, 2)


def paired_rounds(
    args: argparse.Namespace, emulator_args: tuple[str, ...], minimum: dict[str, Any]
) -> list[dict[str, Any]]:
    """Rounds 2..N: each a fresh stack (empty databases), a first save, then one ideal-client
    run against the same emulator right after, so both meet the same machine."""
    rounds = []
    for _ in range(args.rounds - 1):
        with stack(SERVICES, emulator_args) as (processes, gateway, emulator):
            check_library(emulator, minimum["summary"])
            warm_up(emulator, args.latency_ms)
            summary, _ = first_save(processes, gateway, emulator)
            rounds.append(round_of(summary, ideal_once(emulator, args.concurrency)))
    return rounds


def round_of(summary: dict[str, Any], ideal_s: float) -> dict[str, Any]:
    """One round: a first save and its paired ideal-client run."""
    return {
        "status": summary["status"],
        "wall_s": summary["wall_s"],
        "spotify_requests": summary["spotify_requests"],
        "max_in_flight": summary["max_in_flight"],
        "playlist_cpu_s": summary["cpu_s_by_process"]["playlist"],
        "ideal_s": ideal_s,
        "vs_ideal": round(summary["wall_s"] / ideal_s, 2),
    }


def tapedeck(
    args: argparse.Namespace, emulator_args: tuple[str, ...], minimum: dict[str, Any]
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    with stack(SERVICES, emulator_args) as (processes, gateway, emulator):
        check_library(emulator, minimum["summary"])
        warm_up(emulator, args.latency_ms)
        result["first_save"], auth = first_save(processes, gateway, emulator)
        paired_ideal_s = ideal_once(emulator, args.concurrency)
        result["peak_rss_mb_after_first_save"] = peak_rss_mb(processes)
        db_first = database_bytes(processes.data_dir)

        resaves = []
        for _ in range(args.resaves):
            reset_stats(emulator)
            body, wall = save(gateway, auth)
            resaves.append(save_summary(body, wall, stats(emulator)["total"]))
        db_after = database_bytes(processes.data_dir)
        result["resaves"] = {
            "n": len(resaves),
            "statuses": sorted({r["status"] for r in resaves}),
            "spotify_requests": [r["spotify_requests"] for r in resaves],
            "wall_s": [r["wall_s"] for r in resaves],
        }
        result["database"] = {
            "files": "every <service>.db and <service>.db-wal in the data dir (-shm not counted)",
            "after_first_save_bytes": sum(db_first.values()),
            f"after_{len(resaves)}_resaves_bytes": sum(db_after.values()),
            "growth": round(sum(db_after.values()) / sum(db_first.values()), 4),
            "after_first_save_by_file": db_first,
            f"after_{len(resaves)}_resaves_by_file": db_after,
        }

        largest = minimum["largest_playlist"]
        tracks_url = f"{gateway}/api/v1/playlists/{largest['id']}/tracks?limit=100"
        run(f"{gateway}/healthz", {}, args.load_concurrency, 1.0)  # warm-up
        run(tracks_url, auth, args.load_concurrency, 1.0)
        health = run(f"{gateway}/healthz", {}, args.load_concurrency, args.seconds)
        tracks = run(tracks_url, auth, args.load_concurrency, args.seconds)
        result["playlist_tracks_load"] = {
            "playlist": largest,
            "concurrency": args.load_concurrency,
            "seconds": args.seconds,
            "healthz": load_result(health),
            "playlist_tracks_limit_100": load_result(tracks),
            "throughput_vs_healthz": round(tracks.rps / health.rps, 3),
            "p99_vs_healthz": round(tracks.p99_ms / health.p99_ms, 2),
        }
        result["peak_rss_mb_at_end"] = peak_rss_mb(processes)
        result["clients"] = other_clients(
            emulator, args.concurrency, args.ideal_runs, not args.skip_spotipy
        )
    result["rounds"] = [
        round_of(result["first_save"], paired_ideal_s),
        *paired_rounds(args, emulator_args, minimum),
    ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--latency-ms", type=int, default=25)
    parser.add_argument("--concurrency", type=int, default=8, help="the ideal client's")
    parser.add_argument("--ideal-runs", type=int, default=3, help="its best run counts")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="first saves, each in a fresh stack and paired with an ideal-client run",
    )
    parser.add_argument("--resaves", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=10.0, help="per load run")
    parser.add_argument("--load-concurrency", type=int, default=32)
    parser.add_argument("--skip-spotipy", action="store_true")
    parser.add_argument(
        "--clients-only", action="store_true", help="no Tapedeck: the ideal and spotipy clients"
    )
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
        "minimum_requests": minimum["total"],
        "minimum_by_route": minimum["by_route"],
        "bound_s": round(minimum["total"] * args.latency_ms / 1000 / args.concurrency, 2),
    }
    if args.clients_only:
        with emulator_only(emulator_args) as (_, emulator):
            check_library(emulator, minimum["summary"])
            warm_up(emulator, args.latency_ms)
            report["clients"] = other_clients(
                emulator, args.concurrency, args.ideal_runs, not args.skip_spotipy
            )
    else:
        report |= tapedeck(args, emulator_args, minimum)
        first = report["first_save"]
        ideal = report["clients"]["ideal_client"]["seconds"]
        report["first_save"]["vs_minimum"] = round(first["spotify_requests"] / minimum["total"], 3)
        report["first_save"]["vs_ideal_client"] = round(first["wall_s"] / ideal, 2)
        rounds = report["rounds"]
        report["first_saves"] = {
            "rounds": len(rounds),
            "wall_s": [r["wall_s"] for r in rounds],
            "median_wall_s": statistics.median(r["wall_s"] for r in rounds),
            "paired_ideal_s": [r["ideal_s"] for r in rounds],
            "vs_paired_ideal": [r["vs_ideal"] for r in rounds],
            "median_vs_paired_ideal": statistics.median(r["vs_ideal"] for r in rounds),
            "statuses": sorted({r["status"] for r in rounds}),
            "requests": sorted({r["spotify_requests"] for r in rounds}),
            "max_in_flight": sorted({r["max_in_flight"] for r in rounds}),
        }
        report["first_save"]["bound_for_its_requests_s"] = round(
            first["spotify_requests"] * args.latency_ms / 1000 / args.concurrency, 2
        )
        if "sequential_spotipy" in report["clients"]:
            spotipy_s = report["clients"]["sequential_spotipy"]["seconds"]
            report["first_save"]["speedup_vs_sequential_spotipy"] = round(
                spotipy_s / first["wall_s"], 2
            )
            report["first_saves"]["median_speedup_vs_sequential_spotipy"] = round(
                spotipy_s / report["first_saves"]["median_wall_s"], 2
            )
    print(json.dumps(report, indent=2))  # noqa: T201 - a benchmark's output is its report


if __name__ == "__main__":
    main()
