"""Demo mode survives a restart of `make run`: the emulator keeps its users, tokens and
library changes in the data dir, so a login made before the restart still saves after it,
through the access token Tapedeck holds and, once that is refused, its refresh token."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import requests
from teststack.login import login

from launcher.testing import Launchers

SAVE_TIMEOUT_S = 90
USER = "tapedeck-demo"


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


def test_a_demo_login_keeps_saving_across_a_restart(launchers: Launchers) -> None:
    env = launchers.environment()
    data_dir = Path(env["TAPEDECK_DATA_DIR"])
    session = requests.Session()

    before = launchers.start(env)
    before.wait_ready()
    url = before.url
    session.headers["Authorization"] = f"Bearer {login(url)}"
    first = _save(session, url)
    assert first["status"] == "succeeded", first
    assert first["counts"]["tracks"] == 300
    # A change made to the demo library before the restart...
    _emulator(env, "POST", f"/users/{USER}/like-tracks", {"n": 2})
    before.stop()  # Ctrl-C

    state_file = data_dir / "emulator" / "state.json"
    assert state_file.stat().st_mode & 0o077 == 0
    assert json.loads(state_file.read_text())["tokens"]["refresh"]

    after = launchers.start(env)
    after.wait_ready()
    url = after.url
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

    after.stop()

    # Both emulators logged JSON lines (to the log supervisord keeps), never a colour code
    # or the demo app's client secret.
    secret = (data_dir / "keys" / "demo-client-secret").read_text().strip()
    lines = (data_dir / "logs" / "emulator.log").read_text().splitlines()
    assert sum("listening on" in json.loads(line)["message"] for line in lines) == 2
    for line in lines:
        assert "\x1b[" not in line and secret not in line
        assert json.loads(line)["service"] == "emulator"
