"""Benchmark: what authentication costs a request.

Requests/s and p50/p99 latency of `GET /api/v1/me` (JWT checked by the auth service over
gRPC on every request, revocation included) against the same gateway's `/healthz`, with the
gateway, the auth service and the emulator each in its own process, as `make run` runs them.

    make bench-auth            # or: .venv/bin/python bench/auth_overhead.py --seconds 10
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import run
from processes import stack
from teststack.login import login


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    with stack(("auth",), ("--profile", "tiny")) as (_, gateway, _emulator):
        token = login(gateway, "tapedeck-demo")
        auth = {"Authorization": f"Bearer {token}"}
        run(f"{gateway}/healthz", {}, args.concurrency, 1.0)  # warm-up
        run(f"{gateway}/api/v1/me", auth, args.concurrency, 1.0)
        health = run(f"{gateway}/healthz", {}, args.concurrency, args.seconds)
        me = run(f"{gateway}/api/v1/me", auth, args.concurrency, args.seconds)

    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "healthz": {
            "rps": round(health.rps),
            "p50_ms": round(health.p50_ms, 2),
            "p99_ms": round(health.p99_ms, 2),
            "errors": health.errors,
        },
        "me": {
            "rps": round(me.rps),
            "p50_ms": round(me.p50_ms, 2),
            "p99_ms": round(me.p99_ms, 2),
            "errors": me.errors,
        },
        "me_vs_healthz_throughput": round(me.rps / health.rps, 3),
    }
    print(json.dumps(result, indent=2))  # noqa: T201 - a benchmark's output is its report


if __name__ == "__main__":
    main()
