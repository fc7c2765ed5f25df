"""The processes exactly as `make run` starts them (python -m launcher: supervisord, every
service its own process, demo mode with the bundled emulator), driven over HTTP."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import requests
from teststack.login import login

from kit.settings import SERVICES
from launcher.testing import LauncherRun, Launchers, alive


@pytest.fixture(scope="module")
def launched(launchers: Launchers) -> LauncherRun:
    run = launchers.start(launchers.environment())
    run.wait_ready()
    return run


def test_every_process_comes_up_and_readyz_answers_200(launched: LauncherRun) -> None:
    answer = requests.get(f"{launched.url}/readyz", timeout=10)
    assert answer.status_code == 200
    assert set(answer.json()["services"]) == set(SERVICES)
    status = launched.supervisorctl("status")
    for program in (*SERVICES, "gateway", "emulator"):
        assert f"{program}" in status and "RUNNING" in status, status


def test_a_demo_login_gives_a_token_that_me_accepts(launched: LauncherRun) -> None:
    token = login(launched.url)
    me = requests.get(
        f"{launched.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert me.status_code == 200
    assert me.json()["id"] == "tapedeck-demo"


def test_a_demo_user_saves_the_library_and_reads_it_back(launched: LauncherRun) -> None:
    launched.wait_ready(timeout_s=10)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {login(launched.url)}"
    started = session.post(f"{launched.url}/api/v1/library/saves", json={}, timeout=10)
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 60
    while True:
        save = session.get(f"{launched.url}/api/v1/library/saves/{started.json()['id']}").json()
        if save["status"] not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, save
        time.sleep(0.2)
    assert save["status"] == "succeeded", save
    # The demo library: 25 playlists, 300 liked songs, 60 albums, 80 artists.
    assert save["counts"] == {"playlists": 25, "tracks": 300, "albums": 60, "artists": 80}
    playlists = session.get(f"{launched.url}/api/v1/playlists", params={"limit": 100}).json()
    assert playlists["total"] == 25
    largest = max(playlists["items"], key=lambda p: p["tapedeck"]["items_saved"])
    items = session.get(f"{launched.url}/api/v1/playlists/{largest['id']}/tracks").json()
    assert items["total"] == largest["tapedeck"]["items_saved"] > 50
    assert len(items["items"]) == 50 and items["next"]


def _secrets(launched: LauncherRun) -> list[str]:
    keys = launched.data_dir / "keys"
    return [
        (keys / "internal-token").read_text().strip(),
        (keys / "demo-client-secret").read_text().strip(),
    ]


def test_each_process_logs_to_its_own_file_without_secrets(launched: LauncherRun) -> None:
    logs = launched.data_dir / "logs"
    for program in ("auth", "gateway", "library"):
        assert (logs / f"{program}.log").exists()
    secrets = _secrets(launched)
    for log in logs.glob("*.log"):
        text = log.read_text(errors="replace")
        assert not any(s in text for s in secrets), log.name


def test_no_process_has_a_secret_on_its_command_line(launched: LauncherRun) -> None:
    """ps shows every process's command line to every user of the machine."""
    secrets = _secrets(launched)
    emulator = int(launched.supervisorctl("pid", "emulator").strip())
    emulator_line = Path(f"/proc/{emulator}/cmdline").read_bytes().decode()
    assert "spotify_emulator" in emulator_line
    assert "--client-secret-file" in emulator_line
    found = launched.supervisorctl("pid", "all").split()
    pids = {int(p) for p in found if p.strip().isdigit() and int(p) > 0}  # 0: between restarts
    supervisord = int(launched.supervisorctl("pid").strip())
    # The launcher, its child supervisord, and supervisord's children.
    for pid in pids | {launched.process.pid, supervisord}:
        try:
            line = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except FileNotFoundError:
            continue  # restarted since it was listed
        assert not any(s in line for s in secrets), line.split("\0")[:4]


def test_generated_keys_are_private_to_their_owner(launched: LauncherRun) -> None:
    for key in (launched.data_dir / "keys").iterdir():
        assert key.stat().st_mode & 0o077 == 0, key.name


def test_a_killed_auth_process_is_restarted_and_the_next_request_succeeds(
    launched: LauncherRun,
) -> None:
    token = login(launched.url)
    pid = int(launched.supervisorctl("pid", "auth").strip())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = launched.supervisorctl("pid", "auth").strip()
        if out.isdigit() and int(out) not in (0, pid):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("supervisord did not restart auth")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        me = requests.get(
            f"{launched.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        if me.status_code == 200:
            break
        assert me.status_code == 503  # while it restarts: unavailable, never a 500
        time.sleep(0.2)
    assert me.status_code == 200


def test_ctrl_c_stops_every_process(tmp_path: Path, launched: LauncherRun) -> None:
    # Runs last in this module: stopping the shared launcher is its subject.
    found = launched.supervisorctl("pid", "all").split()
    pids = [int(p) for p in found if p.strip().isdigit() and int(p) > 0]  # 0: between restarts
    assert pids
    launched.process.send_signal(signal.SIGINT)
    launched.process.wait(timeout=30)
    for pid in pids:
        assert not alive(pid), pid
