"""`make run` secured: every process on mutual TLS with a root internal token from the
environment, the gateway handed only its own credential, every file its owner's only; and
the exposures it refuses before any process starts, with one line."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
import requests
from teststack.certificates import make_pki
from teststack.login import login

from kit.credentials import derive
from launcher.testing import LauncherRun, Launchers

ROOT = "a-root-internal-token-for-this-test-only-0123456789"


@pytest.fixture(scope="module")
def secured(launchers: Launchers, tmp_path_factory: pytest.TempPathFactory) -> LauncherRun:
    tls = make_pki().write(tmp_path_factory.mktemp("tls"))
    run = launchers.start(launchers.environment() | tls | {"TAPEDECK_INTERNAL_TOKEN": ROOT})
    run.wait_ready()
    return run


def _environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _pid(run: LauncherRun, program: str) -> int:
    return max(pid for pid, name in run.spawned().items() if name == program)


def test_over_mutual_tls_a_demo_user_saves_and_reads_back(secured: LauncherRun) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {login(secured.url)}"
    assert session.get(f"{secured.url}/api/v1/me", timeout=10).status_code == 200
    started = session.post(f"{secured.url}/api/v1/library/saves", json={}, timeout=10)
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 60
    while True:
        save = session.get(f"{secured.url}/api/v1/library/saves/{started.json()['id']}").json()
        if save["status"] not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, save
        time.sleep(0.2)
    # The entity services got the user's Spotify token from auth, as themselves, over TLS.
    assert save["status"] == "succeeded", save
    playlists = session.get(f"{secured.url}/api/v1/playlists", timeout=10).json()
    assert playlists["total"] == 25


def test_the_gateway_is_handed_only_its_own_credential(secured: LauncherRun) -> None:
    gateway = _environment(_pid(secured, "gateway"))
    assert gateway["TAPEDECK_CALLER_CREDENTIAL"] == derive(ROOT, "gateway")
    assert "TAPEDECK_INTERNAL_TOKEN" not in gateway
    assert ROOT not in "\0".join(gateway.values())
    auth = _environment(_pid(secured, "auth"))
    assert auth["TAPEDECK_INTERNAL_TOKEN"] == ROOT
    assert "TAPEDECK_CALLER_CREDENTIAL" not in auth


def test_every_file_make_run_creates_is_its_owners_only(secured: LauncherRun) -> None:
    created = [p for p in secured.data_dir.rglob("*") if not p.is_socket()]
    names = {p.name for p in created}
    assert {"auth.db", "keys", "logs", "run", "gateway.log", "supervisord.conf"} <= names
    for path in created:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))


def _refused(launchers: Launchers, variables: dict[str, str]) -> str:
    run = launchers.start(launchers.environment() | variables)
    code = run.wait(timeout_s=20)
    assert code != 0
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert not (run.data_dir / "run" / "supervisord.conf").exists()
    return lines[0]


def test_demo_mode_refuses_to_listen_beyond_this_machine(launchers: Launchers) -> None:
    line = _refused(launchers, {"TAPEDECK_HTTP_HOST": "0.0.0.0"})
    assert line.startswith("tapedeck: invalid TAPEDECK_HTTP_HOST:")


def test_a_service_beyond_loopback_needs_a_root_token_from_the_environment(
    launchers: Launchers,
) -> None:
    spotify = {
        "TAPEDECK_SPOTIFY_CLIENT_ID": "an-app",
        "TAPEDECK_SPOTIFY_CLIENT_SECRET": "its-secret",
        "TAPEDECK_HTTP_HOST": "0.0.0.0",
    }
    line = _refused(launchers, spotify)
    assert line.startswith("tapedeck: invalid TAPEDECK_INTERNAL_TOKEN:")
