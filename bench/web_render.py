"""Benchmark: the web app's playlist page of the largest playlist of workload L (500
playlists, 60,000 items) in headless Chromium: milliseconds from the navigation's start to
the frame that first shows its rows, cold (a fresh browser context: nothing cached) and warm
(the same context again: the hashed assets cached), and how long the frames take while the
table is scrolled from top to bottom. The size of the built app's JavaScript, gzipped, too.

The processes as `make run` starts them with the built app (`make web` first), the
emulator serving workload L; only the playlists are saved (what the page reads).

    make bench-web        # or: .venv/bin/python bench/web_render.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from exports import git_commit
from processes import stack
from teststack.login import login

from kit.settings import SERVICES

ROOT = Path(__file__).resolve().parents[1]
WEB = ROOT / "web"
DIST = WEB / "dist"


def javascript_gzipped(dist: Path) -> dict[str, int]:
    """Bytes of every built script, as it is and gzipped (level 9), in all."""
    scripts = sorted((dist / "assets").glob("*.js"))
    raw = sum(len(p.read_bytes()) for p in scripts)
    packed = sum(len(gzip.compress(p.read_bytes(), 9)) for p in scripts)
    return {"files": len(scripts), "bytes": raw, "gzipped_bytes": packed}


def save_playlists(gateway: str, auth: dict[str, str]) -> dict[str, Any]:
    started = requests.post(
        f"{gateway}/api/v1/library/saves", headers=auth, json={"kinds": ["playlists"]}, timeout=30
    )
    started.raise_for_status()
    events = requests.get(
        f"{gateway}/api/v1/library/saves/{started.json()['id']}/events",
        headers=auth,
        stream=True,
        timeout=1800,
    )
    final: dict[str, Any] = {}
    name = ""
    for line in events.iter_lines(decode_unicode=True):
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: ") and name in ("done", "error"):
            final = json.loads(line.removeprefix("data: "))
            break
    return final


def largest(gateway: str, auth: dict[str, str]) -> dict[str, Any]:
    best: dict[str, Any] = {}
    url: str | None = f"{gateway}/api/v1/playlists?limit=100"
    while url:
        page = requests.get(url, headers=auth, timeout=30).json()
        for playlist in page["items"]:
            if playlist["tapedeck"]["items_saved"] > best.get("tapedeck", {}).get(
                "items_saved", -1
            ):
                best = playlist
        url = page["next"]
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not (DIST / "index.html").is_file():
        raise SystemExit("the web app is not built: make web")
    emulator_args = ("--profile", "workload_l", "--mode", "2026", "--seed", str(args.seed))
    extra = {"TAPEDECK_WEB_DIR": str(DIST)}
    with stack(SERVICES, emulator_args, extra_env=extra) as (_processes, gateway, _emulator):
        token = login(gateway)
        auth = {"Authorization": f"Bearer {token}"}
        saved = save_playlists(gateway, auth)
        playlist = largest(gateway, auth)
        done = subprocess.run(
            ["node", str(WEB / "e2e" / "render.mjs")],
            cwd=WEB,
            env={
                **os.environ,
                "TAPEDECK_URL": gateway,
                "TOKEN": token,
                "PLAYLIST": playlist["id"],
                "ROUNDS": str(args.rounds),
            },
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}",
        "save": {"status": saved.get("status"), "counts": saved.get("counts")},
        "playlist_items": playlist["tapedeck"]["items_saved"],
        "javascript": javascript_gzipped(DIST),
        **measured,
    }
    print(json.dumps(report, indent=2))  # noqa: T201 - a benchmark's output is its report


if __name__ == "__main__":
    main()
