"""`make run` (python -m launcher) for system tests: free ports, a throwaway data dir, the
console kept (stdout and stderr apart) so a test reads what a person at the terminal reads.
tests/system/conftest.py offers the `launchers` fixture; tests import the rest from here."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from kit.settings import SERVICES

START_TIMEOUT_S = 90


def launcher_environment(data_dir: Path) -> dict[str, str]:
    """Every TAPEDECK_ variable of the test's own environment dropped; free ports."""
    sockets = [socket.socket() for _ in range(len(SERVICES) + 2)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    env |= {
        "TAPEDECK_DATA_DIR": str(data_dir),
        "TAPEDECK_HTTP_PORT": str(ports[0]),
        "TAPEDECK_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
        "TAPEDECK_DEMO_EMULATOR_PORT": str(ports[1]),
    }
    for name, port in zip(SERVICES, ports[2:], strict=True):
        env[f"TAPEDECK_{name.upper()}_ADDR"] = f"127.0.0.1:{port}"
    return env


@dataclass
class LauncherRun:
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    console: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.env['TAPEDECK_HTTP_PORT']}"

    @property
    def data_dir(self) -> Path:
        return Path(self.env["TAPEDECK_DATA_DIR"])

    @property
    def emulator_url(self) -> str:
        """The demo emulator (demo mode only)."""
        return f"http://127.0.0.1:{self.env['TAPEDECK_DEMO_EMULATOR_PORT']}"

    def log(self, program: str) -> str:
        """What `program` (gateway, auth, emulator, …) has logged so far."""
        return (self.data_dir / "logs" / f"{program}.log").read_text(errors="replace")

    @property
    def stdout(self) -> str:
        return (self.console / "stdout").read_text(errors="replace")

    @property
    def stderr(self) -> str:
        return (self.console / "stderr").read_text(errors="replace")

    def wait(self, timeout_s: float) -> int:
        return self.process.wait(timeout=timeout_s)

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the launcher exited: {self.stderr}"
            try:
                if requests.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"not ready in {timeout_s}s: {self.stderr}")

    def supervisorctl(self, *args: str) -> str:
        done = subprocess.run(
            [
                str(Path(sys.executable).with_name("supervisorctl")),
                "-c",
                str(self.data_dir / "run" / "supervisord.conf"),
                *args,
            ],
            capture_output=True,
            text=True,
            # `stop` waits for the process's grace period.
            timeout=60,
            check=False,
        )
        return done.stdout

    def spawned(self) -> dict[int, str]:
        """Every process supervisord spawned in this data dir, by pid, from its log."""
        found: dict[int, str] = {}
        log = self.data_dir / "logs" / "supervisord.log"
        if not log.exists():
            return found
        for line in log.read_text(errors="replace").splitlines():
            if "spawned: '" in line:
                name = line.split("spawned: '", 1)[1].split("'", 1)[0]
                found[int(line.rsplit(" ", 1)[1])] = name
        return found

    def stop(self) -> int:
        """What Ctrl-C on `make run` does."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


class Launchers:
    def __init__(self, console_root: Path) -> None:
        self._root = console_root
        self.runs: list[LauncherRun] = []
        self._dirs = 0

    def start(self, env: dict[str, str]) -> LauncherRun:
        console = self._root / f"console-{len(self.runs)}"
        console.mkdir(parents=True)
        data_dir = Path(env["TAPEDECK_DATA_DIR"])
        data_dir.mkdir(parents=True, exist_ok=True)
        with (console / "stdout").open("wb") as out, (console / "stderr").open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "launcher"],
                env=env,
                cwd=data_dir,  # no .env file of the working tree
                stdout=out,
                stderr=err,
            )
        run = LauncherRun(process, env, console)
        self.runs.append(run)
        return run

    def environment(self, data_dir: Path | None = None) -> dict[str, str]:
        """A fresh data dir (unless given) and free ports."""
        if data_dir is None:
            self._dirs += 1
            data_dir = self._root / f"var-{self._dirs}"
        return launcher_environment(data_dir)

    def stop_all(self) -> None:
        for run in reversed(self.runs):
            run.stop()


@pytest.fixture(scope="module")
def launchers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launchers]:
    """Starts launchers; every one still running is stopped (Ctrl-C) after the module."""
    started = Launchers(tmp_path_factory.mktemp("consoles"))
    try:
        yield started
    finally:
        started.stop_all()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has ended; only its parent has not collected it yet.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False
