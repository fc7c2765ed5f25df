"""Benchmark: how long `make run` takes until Tapedeck is ready.

Starts the launcher (`python -m launcher`, what `make run` runs: supervisord, every service
its own process, demo mode) on free ports with a throwaway data dir, and measures the time
from spawning it to the first 200 from the gateway's `/readyz`. Each round also measures, on
the same machine at the same moment, what a start cannot beat: bare
`python -c "import grpc, sqlalchemy, fastapi"`, and each process started alone until it
serves (gRPC health SERVING, or the gateway's `/healthz`). Every time is from spawning the
process to the first answer of a poll every `--interval` seconds; each poll's own duration is
reported so the poller can be seen not to be the bottleneck.

    make bench-startup        # or: .venv/bin/python bench/startup.py --rounds 5 --interval 0.05
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import grpc
import requests
from grpc_health.v1 import health_pb2, health_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent))

from processes import free_port

from kit.settings import SERVICES

TIMEOUT_S = 120.0
BARE_IMPORT = "import grpc, sqlalchemy, fastapi"


@dataclass
class Polled:
    """Seconds from spawn to the first good answer, and what the polls themselves took."""

    seconds: float
    polls: int
    poll_s: list[float] = field(default_factory=list)


def _poll(
    started: float, process: subprocess.Popen[bytes], ok: Callable[[], bool], interval: float
) -> Polled:
    polls: list[float] = []
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        before = time.monotonic()
        good = ok()
        after = time.monotonic()
        polls.append(after - before)
        if good:
            return Polled(after - started, len(polls), polls)
        if after - started > TIMEOUT_S:
            raise RuntimeError(f"{process.args!r} not ready in {TIMEOUT_S}s")
        time.sleep(interval)


def _http_ok(url: str) -> Callable[[], bool]:
    def ok() -> bool:
        try:
            return requests.get(url, timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    return ok


def _grpc_serving(address: str) -> Callable[[], bool]:
    def ok() -> bool:
        # A fresh channel each poll: one that failed to connect would wait out its reconnect
        # backoff, and the poll would measure that instead of the service.
        with grpc.insecure_channel(address) as channel:
            try:
                answer = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=1
                )
            except grpc.RpcError:
                return False
        return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)

    return ok


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# Extra environment of every process started: --no-bytecode sets it.
EXTRA_ENV: dict[str, str] = {}


def _base_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    return env | EXTRA_ENV | {"TAPEDECK_DATA_DIR": str(data_dir)}


def launcher_ready(interval: float) -> tuple[Polled, str]:
    """The launcher until /readyz answers 200; also its console output."""
    with tempfile.TemporaryDirectory(prefix="tapedeck-bench-") as tmp:
        data_dir = Path(tmp)
        http_port = free_port()
        env = _base_env(data_dir) | {
            "TAPEDECK_HTTP_PORT": str(http_port),
            "TAPEDECK_PUBLIC_URL": f"http://127.0.0.1:{http_port}",
            "TAPEDECK_DEMO_EMULATOR_PORT": str(free_port()),
        }
        for name in SERVICES:
            env[f"TAPEDECK_{name.upper()}_ADDR"] = f"127.0.0.1:{free_port()}"
        console = data_dir / "console.txt"
        with console.open("wb") as out:
            started = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-m", "launcher"],
                env=env,
                cwd=data_dir,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                polled = _poll(
                    started, process, _http_ok(f"http://127.0.0.1:{http_port}/readyz"), interval
                )
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}: {console.read_text(errors='replace')}") from None
            finally:
                _stop(process)
        return polled, console.read_text(errors="replace")


def alone_ready(program: str, interval: float) -> Polled:
    """One process started alone (its own data dir) until it serves."""
    with tempfile.TemporaryDirectory(prefix="tapedeck-bench-") as tmp:
        data_dir = Path(tmp)
        port = free_port()
        env = _base_env(data_dir) | {
            # The auth service refuses to start without a Spotify app.
            "TAPEDECK_SPOTIFY_CLIENT_ID": "bench-client",
            "TAPEDECK_SPOTIFY_CLIENT_SECRET": "bench-secret",
        }
        if program == "gateway":
            env |= {"TAPEDECK_HTTP_PORT": str(port)}
            ok = _http_ok(f"http://127.0.0.1:{port}/healthz")
        else:
            env |= {f"TAPEDECK_{program.upper()}_ADDR": f"127.0.0.1:{port}"}
            ok = _grpc_serving(f"127.0.0.1:{port}")
        with (data_dir / f"{program}.log").open("wb") as out:
            started = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-m", program],
                env=env,
                cwd=data_dir,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                return _poll(started, process, ok, interval)
            finally:
                _stop(process)


def bare_import() -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-c", BARE_IMPORT], check=True, env=os.environ | EXTRA_ENV)
    return time.monotonic() - started


def _commit() -> str:
    done = subprocess.run(
        ["git", "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent,
    )
    return done.stdout.strip() or "unknown"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ms(values: list[float]) -> float:
    return round(1000 * statistics.mean(values), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between polls")
    parser.add_argument("--no-alone", action="store_true", help="skip starting each process alone")
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="every process compiles what it imports, as before `make compile` (byte-code "
        "looked for in an empty folder, never written)",
    )
    args = parser.parse_args()
    empty = tempfile.TemporaryDirectory(prefix="tapedeck-bench-pycache-")
    if args.no_bytecode:
        EXTRA_ENV.update(PYTHONPYCACHEPREFIX=empty.name, PYTHONDONTWRITEBYTECODE="1")

    rounds: list[dict[str, object]] = []
    ready: list[float] = []
    imports: list[float] = []
    slowest: list[float] = []
    alone_sums: list[float] = []
    cores = os.cpu_count() or 1
    polls: list[float] = []
    console = ""
    for _ in range(args.rounds):
        launched, console = launcher_ready(args.interval)
        ready.append(launched.seconds)
        polls += launched.poll_s
        imports.append(bare_import())
        alone: dict[str, float] = {}
        if not args.no_alone:
            for program in (*SERVICES, "gateway"):
                alone_polled = alone_ready(program, args.interval)
                alone[program] = round(alone_polled.seconds, 3)
                polls += alone_polled.poll_s
            slowest.append(max(alone.values()))
            alone_sums.append(sum(alone.values()))
        rounds.append(
            {
                "ready_s": round(launched.seconds, 3),
                "readyz_polls": launched.polls,
                "bare_import_s": round(imports[-1], 3),
                "alone_s": alone,
            }
        )

    summary: dict[str, object] = {
        "ready_median_s": round(statistics.median(ready), 3),
        "ready_min_s": round(min(ready), 3),
        "ready_max_s": round(max(ready), 3),
        "bare_import_median_s": round(statistics.median(imports), 3),
        "ready_vs_bare_import": round(statistics.median(ready) / statistics.median(imports), 2),
        "poll_interval_ms": round(1000 * args.interval, 1),
        "poll_mean_ms": _ms(polls),
        "poll_max_ms": round(1000 * max(polls), 2),
    }
    if alone_sums:
        summary |= {
            # What the processes need alone, spread over every core: start-up is CPU-bound,
            # so this is about the best starting them all at once can do.
            "alone_sum_median_s": round(statistics.median(alone_sums), 3),
            "alone_sum_per_core_s": round(statistics.median(alone_sums) / cores, 3),
            "ready_vs_alone_sum_per_core": round(
                statistics.median(ready) / (statistics.median(alone_sums) / cores), 2
            ),
        }
    if slowest:
        summary |= {
            "slowest_alone_median_s": round(statistics.median(slowest), 3),
            "ready_vs_slowest_alone": round(
                statistics.median(ready) / statistics.median(slowest), 2
            ),
        }
    result = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores ({_cpu_model()}), "
        f"Python {platform.python_version()}",
        "commit": _commit(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "bytecode": "none (--no-bytecode)" if args.no_bytecode else "as installed",
        "summary": summary,
        "rounds": rounds,
        "launcher_console_last_round": console.splitlines()[-12:],
    }
    print(json.dumps(result, indent=2))  # noqa: T201 - a benchmark's output is its report
    empty.cleanup()


if __name__ == "__main__":
    main()
