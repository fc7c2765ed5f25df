"""Starting Tapedeck's processes for a benchmark, the way `make run` runs them (one process
each), on free loopback ports with a throwaway data dir."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from kit.credentials import derive
from kit.settings import SERVICES

CLIENT_ID = "bench-client"
CLIENT_SECRET = "bench-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Processes:
    data_dir: Path
    env: dict[str, str]
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        """`env` adds to the common environment, for this process alone."""
        log = open(self.data_dir / f"{name}.log", "wb")  # noqa: SIM115 - lives with the process
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", *args],
            env=self.env | (env or {}),
            cwd=self.data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def cpu_seconds(self) -> dict[str, float]:
        """User + system CPU time each running process has used so far."""
        tick = os.sysconf("SC_CLK_TCK")
        used = {}
        for name, process in self.running.items():
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            used[name] = (int(fields[11]) + int(fields[12])) / tick
        return used

    def stop(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_http(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def wait_serving(gateway: str, services: tuple[str, ...], timeout_s: float = 60) -> None:
    """Until the gateway's /readyz sees every one of `services` SERVING on gRPC health (the
    gateway answers /healthz before the services behind it are up)."""
    deadline = time.monotonic() + timeout_s
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        try:
            states = requests.get(f"{gateway}/readyz", timeout=5).json().get("services", {})
        except (requests.ConnectionError, ValueError):
            states = {}
        if all(states.get(name) == "SERVING" for name in services):
            return
        time.sleep(0.1)
    raise RuntimeError(f"services did not come up: {states}")


def _start_emulator(processes: Processes, emulator_args: tuple[str, ...]) -> str:
    """Starts the emulator on a free port; returns its URL once it answers."""
    port = free_port()
    processes.start(
        "emulator",
        "spotify_emulator",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--client-id",
        CLIENT_ID,
        "--log-level",
        "WARNING",
        *emulator_args,
        # Not on the command line, which every user can read.
        env={"SPOTIFY_EMULATOR_CLIENT_SECRET": CLIENT_SECRET},
    )
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/_emulator/health")
    return url


@contextmanager
def raw_server() -> Iterator[str]:
    """Yields the URL of `raw_server.py` in a process of its own: the simplest fast server,
    against which the load generator's own ceiling is measured."""
    with tempfile.TemporaryDirectory(prefix="tapedeck-bench-") as tmp:
        port = free_port()
        log = open(Path(tmp) / "raw_server.log", "wb")  # noqa: SIM115 - lives with the process
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("raw_server.py")), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(f"{url}/healthz")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=20)
            log.close()


@contextmanager
def emulator_only(emulator_args: tuple[str, ...] = ()) -> Iterator[tuple[Processes, str]]:
    """Yields (processes, emulator URL): the emulator alone, for clients other than Tapedeck."""
    with tempfile.TemporaryDirectory(prefix="tapedeck-bench-") as tmp:
        processes = Processes(Path(tmp), dict(os.environ))
        try:
            yield processes, _start_emulator(processes, emulator_args)
        finally:
            processes.stop()


@contextmanager
def stack(
    services: tuple[str, ...],
    emulator_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
) -> Iterator[tuple[Processes, str, str]]:
    """Yields (processes, gateway URL, emulator URL). `processes.running[name].pid` and
    `processes.data_dir` (every service's SQLite file) are there for measurements.
    `extra_env`: more variables for every process (the web app's folder, say)."""
    with tempfile.TemporaryDirectory(prefix="tapedeck-bench-") as tmp:
        data_dir = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
        processes = Processes(data_dir, env)
        try:
            emulator = _start_emulator(processes, emulator_args)
            http_port = free_port()
            env |= {
                "TAPEDECK_DATA_DIR": str(data_dir),
                "TAPEDECK_HTTP_PORT": str(http_port),
                "TAPEDECK_PUBLIC_URL": f"http://127.0.0.1:{http_port}",
                "TAPEDECK_SPOTIFY_CLIENT_ID": CLIENT_ID,
                "TAPEDECK_SPOTIFY_CLIENT_SECRET": CLIENT_SECRET,
                "TAPEDECK_SPOTIFY_API_URL": f"{emulator}/v1",
                "TAPEDECK_SPOTIFY_ACCOUNTS_URL": emulator,
                "TAPEDECK_LOG_LEVEL": "INFO",
                **(extra_env or {}),
            }
            for name in SERVICES:
                env[f"TAPEDECK_{name.upper()}_ADDR"] = f"127.0.0.1:{free_port()}"
            # As `make run` does: one root credential made before any process starts (each
            # would otherwise make its own), and the gateway handed only its own.
            root = secrets.token_urlsafe(32)
            for name in services:
                processes.start(name, name, env={"TAPEDECK_INTERNAL_TOKEN": root})
            processes.start(
                "gateway", "gateway", env={"TAPEDECK_CALLER_CREDENTIAL": derive(root, "gateway")}
            )
            gateway = f"http://127.0.0.1:{http_port}"
            wait_http(f"{gateway}/healthz")
            wait_serving(gateway, services)
            yield processes, gateway, emulator
        finally:
            processes.stop()
