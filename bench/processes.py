"""Starting Tapedeck's processes for a benchmark, the way `make run` runs them (one process
each), on free loopback ports with a throwaway data dir."""

from __future__ import annotations

import os
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

    def start(self, name: str, *args: str) -> None:
        log = open(self.data_dir / f"{name}.log", "wb")  # noqa: SIM115 - lives with the process
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", *args],
            env=self.env,
            cwd=self.data_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

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


@contextmanager
def stack(
    services: tuple[str, ...], emulator_args: tuple[str, ...] = ()
) -> Iterator[tuple[Processes, str, str]]:
    """Yields (processes, gateway URL, emulator URL)."""
    with tempfile.TemporaryDirectory(prefix="tapedeck-bench-") as tmp:
        data_dir = Path(tmp)
        emulator_port, http_port = free_port(), free_port()
        emulator = f"http://127.0.0.1:{emulator_port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
        env |= {
            "TAPEDECK_DATA_DIR": str(data_dir),
            "TAPEDECK_HTTP_PORT": str(http_port),
            "TAPEDECK_PUBLIC_URL": f"http://127.0.0.1:{http_port}",
            "TAPEDECK_SPOTIFY_CLIENT_ID": CLIENT_ID,
            "TAPEDECK_SPOTIFY_CLIENT_SECRET": CLIENT_SECRET,
            "TAPEDECK_SPOTIFY_API_URL": f"{emulator}/v1",
            "TAPEDECK_SPOTIFY_ACCOUNTS_URL": emulator,
            "TAPEDECK_LOG_LEVEL": "WARNING",
        }
        for name in ("auth", "library", "playlist", "track", "album", "artist", "download"):
            env[f"TAPEDECK_{name.upper()}_ADDR"] = f"127.0.0.1:{free_port()}"
        processes = Processes(data_dir, env)
        try:
            processes.start(
                "emulator",
                "spotify_emulator",
                "--host",
                "127.0.0.1",
                "--port",
                str(emulator_port),
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                CLIENT_SECRET,
                *emulator_args,
            )
            wait_http(f"{emulator}/_emulator/health")
            for name in services:
                processes.start(name, name)
            processes.start("gateway", "gateway")
            gateway = f"http://127.0.0.1:{http_port}"
            wait_http(f"{gateway}/healthz")
            yield processes, gateway, emulator
        finally:
            processes.stop()
