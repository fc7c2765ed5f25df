"""Demo mode survives a restart of `make run`: the emulator keeps its users, tokens and
library changes in the data dir, so a login made before the restart still saves after it,
through the access token Tapedeck holds and, once that is refused, its refresh token."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from teststack.login import login

from kit.settings import SERVICES

START_TIMEOUT_S = 90
SAVE_TIMEOUT_S = 90
USER = "tapedeck-demo"


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _environment(data_dir: Path) -> dict[str, str]:
    """Free ports and a throwaway data dir, as tests/system/test_make_run.py starts it."""
    ports = _free_ports(len(SERVICES) + 2)
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


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "the launcher exited"
        try:
            if requests.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"not ready in {START_TIMEOUT_S}s")


@contextmanager
def _launched(env: dict[str, str], data_dir: Path) -> Iterator[str]:
    """`make run` (python -m launcher) until the block ends, then Ctrl-C and its exit."""
    process = subprocess.Popen(
        [sys.executable, "-m", "launcher"],
        env=env,
        cwd=data_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{env['TAPEDECK_HTTP_PORT']}"
    try:
        _wait_ready(url, process)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # what Ctrl-C on `make run` sends
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _save(session: requests.Session, url: str) -> dict[str, Any]:
    started = session.post(f"{url}/api/v1/library/saves", json={}, timeout=10)
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + SAVE_TIMEOUT_S
    while True:
        answer = session.get(f"{url}/api/v1/library/saves/{started.json()['id']}", timeout=10)
        assert answer.status_code == 200, answer.text
        save: dict[str, Any] = answer.json()
        if save["status"] not in ("queued", "running"):
            return save
        assert time.monotonic() < deadline, save
        time.sleep(0.2)


def _emulator(env: dict[str, str], method: str, path: str, body: Any = None) -> Any:
    emulator = f"http://127.0.0.1:{env['TAPEDECK_DEMO_EMULATOR_PORT']}/_emulator"
    answer = requests.request(method, emulator + path, json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_demo_login_keeps_saving_across_a_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    env = _environment(data_dir)
    session = requests.Session()

    with _launched(env, data_dir) as url:
        session.headers["Authorization"] = f"Bearer {login(url)}"
        first = _save(session, url)
        assert first["status"] == "succeeded", first
        assert first["counts"]["tracks"] == 300
        # A change made to the demo library before the restart...
        _emulator(env, "POST", f"/users/{USER}/like-tracks", {"n": 2})

    state_file = data_dir / "emulator" / "state.json"
    assert state_file.stat().st_mode & 0o077 == 0
    assert json.loads(state_file.read_text())["tokens"]["refresh"]

    with _launched(env, data_dir) as url:
        me = session.get(f"{url}/api/v1/me", timeout=10)
        assert me.status_code == 200, me.text
        assert me.json()["id"] == USER
        # ...is there after it, saved with the access token Tapedeck got before it.
        second = _save(session, url)
        assert second["status"] == "succeeded", second
        assert second["counts"]["tracks"] == 302
        # With every access token refused as expired, the refresh token from before the
        # restart gets a fresh one.
        assert _emulator(env, "POST", "/expire-access-tokens", {})["expired"] >= 1
        _emulator(env, "POST", "/stats/reset")
        third = _save(session, url)
        assert third["status"] == "succeeded", third
        stats = _emulator(env, "GET", "/stats")
        assert stats["accounts"].get("POST /api/token", 0) >= 1, stats
        assert stats["accounts_by_status"].get("400", 0) == 0, stats
        assert session.get(f"{url}/api/v1/me", timeout=10).status_code == 200

    # Both emulators logged JSON lines (to the log supervisord keeps), never a colour code
    # or the demo app's client secret.
    secret = (data_dir / "keys" / "demo-client-secret").read_text().strip()
    lines = (data_dir / "logs" / "emulator.log").read_text().splitlines()
    assert sum("listening on" in json.loads(line)["message"] for line in lines) == 2
    for line in lines:
        assert "\x1b[" not in line and secret not in line
        assert json.loads(line)["service"] == "emulator"
