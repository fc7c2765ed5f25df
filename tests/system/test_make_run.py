"""The processes exactly as `make run` starts them (python -m launcher: supervisord, every
service its own process, demo mode with the bundled emulator), driven over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from teststack.login import login

from kit.settings import SERVICES

START_TIMEOUT_S = 60


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@dataclass
class Launched:
    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    env: dict[str, str]

    def supervisorctl(self, *args: str) -> str:
        conf = self.data_dir / "run" / "supervisord.conf"
        done = subprocess.run(
            [str(Path(sys.executable).with_name("supervisorctl")), "-c", str(conf), *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return done.stdout


def _wait_ready(
    url: str, process: subprocess.Popen[bytes], timeout_s: float = START_TIMEOUT_S
) -> requests.Response:
    deadline = time.monotonic() + timeout_s
    last: requests.Response | None = None
    while time.monotonic() < deadline:
        assert process.poll() is None, "the launcher exited"
        try:
            last = requests.get(f"{url}/readyz", timeout=2)
            if last.status_code == 200:
                return last
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"not ready in {START_TIMEOUT_S}s: {last.text if last else 'no answer'}")


def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    """The gateway answers and the auth service serves (what every test here needs)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, "the launcher exited"
        try:
            ready = requests.get(f"{url}/readyz", timeout=2)
            if (
                "auth" in ready.json().get("services", {})
                and ready.json()["services"]["auth"] == "SERVING"
            ):
                return
        except (requests.ConnectionError, ValueError):
            pass
        time.sleep(0.25)
    raise AssertionError(f"the gateway and auth service did not come up in {START_TIMEOUT_S}s")


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launched]:
    data_dir = tmp_path_factory.mktemp("var")
    ports = _free_ports(len(SERVICES) + 2)
    http_port, emulator_port = ports[0], ports[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    env |= {
        "TAPEDECK_DATA_DIR": str(data_dir),
        "TAPEDECK_HTTP_PORT": str(http_port),
        "TAPEDECK_PUBLIC_URL": f"http://127.0.0.1:{http_port}",
        "TAPEDECK_DEMO_EMULATOR_PORT": str(emulator_port),
    }
    for name, port in zip(SERVICES, ports[2:], strict=True):
        env[f"TAPEDECK_{name.upper()}_ADDR"] = f"127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "launcher"],
        env=env,
        cwd=data_dir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{http_port}"
    try:
        _wait_up(url, process)
        yield Launched(process, url, data_dir, env)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # what Ctrl-C on `make run` sends
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_every_process_comes_up_and_readyz_answers_200(launched: Launched) -> None:
    answer = _wait_ready(launched.url, launched.process, timeout_s=10)
    assert answer.status_code == 200
    assert set(answer.json()["services"]) == set(SERVICES)
    status = launched.supervisorctl("status")
    for program in (*SERVICES, "gateway", "emulator"):
        assert f"{program}" in status and "RUNNING" in status, status


def test_a_demo_login_gives_a_token_that_me_accepts(launched: Launched) -> None:
    token = login(launched.url)
    me = requests.get(
        f"{launched.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert me.status_code == 200
    assert me.json()["id"] == "tapedeck-demo"


def test_a_demo_user_saves_the_library_and_reads_it_back(launched: Launched) -> None:
    _wait_ready(launched.url, launched.process, timeout_s=10)
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


def _secrets(launched: Launched) -> list[str]:
    keys = launched.data_dir / "keys"
    return [
        (keys / "internal-token").read_text().strip(),
        (keys / "demo-client-secret").read_text().strip(),
    ]


def test_each_process_logs_to_its_own_file_without_secrets(launched: Launched) -> None:
    logs = launched.data_dir / "logs"
    for program in ("auth", "gateway", "library"):
        assert (logs / f"{program}.log").exists()
    secrets = _secrets(launched)
    for log in logs.glob("*.log"):
        text = log.read_text(errors="replace")
        assert not any(s in text for s in secrets), log.name


def test_no_process_has_a_secret_on_its_command_line(launched: Launched) -> None:
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


def test_generated_keys_are_private_to_their_owner(launched: Launched) -> None:
    for key in (launched.data_dir / "keys").iterdir():
        assert key.stat().st_mode & 0o077 == 0, key.name


def test_a_killed_auth_process_is_restarted_and_the_next_request_succeeds(
    launched: Launched,
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


def test_ctrl_c_stops_every_process(tmp_path: Path, launched: Launched) -> None:
    # Runs last in this module: stopping the shared launcher is its subject.
    found = launched.supervisorctl("pid", "all").split()
    pids = [int(p) for p in found if p.strip().isdigit() and int(p) > 0]  # 0: between restarts
    assert pids
    launched.process.send_signal(signal.SIGINT)
    launched.process.wait(timeout=30)
    for pid in pids:
        assert not _alive(pid), pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
