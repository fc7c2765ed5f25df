"""The HTTP server itself: keep-alive, concurrency, images, the CLI, stopping."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from spotify_emulator import Emulator, EmulatorConfig
from spotify_emulator.__main__ import SECRET_ENV


def test_keep_alive_reuses_one_connection(emu: Emulator, client: Any) -> None:
    parts = urlsplit(emu.base_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    conn.connect()
    sock = conn.sock
    for _ in range(5):
        conn.request("GET", "/v1/me", headers={"Authorization": f"Bearer {client.token}"})
        answer = conn.getresponse()
        assert answer.status == 200 and answer.read()
        assert conn.sock is sock
    conn.close()


def test_concurrent_clients_get_consistent_pages(emu: Emulator, client_for: Any) -> None:
    client = client_for(emu)
    playlist = next(p for p in client.user.playlists_simplified() if p["items"]["total"] > 100)
    truth = client.user.playlist_items(playlist["id"])

    def read(_: int) -> bool:
        own = client_for(emu)
        return own.all_pages(f"/playlists/{playlist['id']}/items", limit=50) == truth

    began = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        assert all(pool.map(read, range(48)))
    # 48 readers x 3 pages each, plus the fixtures' own calls.
    assert emu.stats()["by_route"]["GET /v1/playlists/{id}/items"] == 144
    assert time.perf_counter() - began < 5


def test_covers_are_served_as_png(emu: Emulator, client: Any) -> None:
    album = client.user.saved_albums()[0]["album"]
    image = album["images"][1]
    answer = requests.get(image["url"], timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "image/png"
    assert answer.content.startswith(b"\x89PNG")
    assert requests.get(f"{emu.base_url}/image/zz-1", timeout=5).status_code == 404


def test_a_stopped_emulator_closes_kept_alive_connections(make_emu: Any, client_for: Any) -> None:
    emu = make_emu()
    client = client_for(emu)
    assert client.get("/me").status_code == 200
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        client.get("/me")


def test_it_works_as_a_context_manager() -> None:
    with Emulator(EmulatorConfig(seed=2)) as emu:
        token = emu.issue_token()["access_token"]
        me = requests.get(
            f"{emu.api_url}/me", headers={"Authorization": f"Bearer {token}"}, timeout=5
        )
        assert me.json()["id"] == "tapedeck-demo"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emu.api_url}/me", timeout=2)


def _run_cli(*args: str, secret: str | None) -> subprocess.Popen[str]:
    """`python -m spotify_emulator` on a free port; `secret` goes in its environment."""
    env = {k: v for k, v in os.environ.items() if k != SECRET_ENV and not k.startswith("TAPEDECK_")}
    if secret is not None:
        env[SECRET_ENV] = secret
    return subprocess.Popen(
        [sys.executable, "-m", "spotify_emulator", "--port", "0", "--profile", "tiny", *args],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _url_of(process: subprocess.Popen[str]) -> str:
    """From the line it logs (JSON, on stdout) once it listens."""
    assert process.stdout is not None
    line = process.stdout.readline()
    found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", json.loads(line)["message"])
    assert found, line
    return found.group(1)


def _redeem_a_code(url: str, client_id: str, client_secret: str) -> requests.Response:
    """A login's code exchanged by the app `client_id`, authenticated with `client_secret`."""
    redirect_uri = "http://127.0.0.1:8000/auth/callback"
    query = {"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri}
    login = requests.get(f"{url}/authorize", params=query, allow_redirects=False, timeout=5)
    assert login.status_code == 302, login.text
    code = parse_qs(urlsplit(login.headers["Location"]).query)["code"][0]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    return requests.post(f"{url}/api/token", data=form, auth=(client_id, client_secret), timeout=5)


def test_the_command_line_logs_its_url_and_serves() -> None:
    process = _run_cli(
        "--seed", "42", "--mode", "legacy", "--client-id", "cid", "--latency-ms", "1",
        secret="secret",
    )  # fmt: skip
    try:
        url = _url_of(process)
        assert requests.get(f"{url}/_emulator/health", timeout=5).json()["mode"] == "legacy"
        issued = requests.post(
            f"{url}/_emulator/users/tapedeck-demo/token", json={}, timeout=5
        ).json()
        me = requests.get(
            f"{url}/v1/me", headers={"Authorization": f"Bearer {issued['access_token']}"}, timeout=5
        )
        assert me.json()["product"] == "premium"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux's /proc")
@pytest.mark.parametrize("given_by", ["environment", "file"])
def test_the_client_secret_never_shows_on_the_command_line(tmp_path: Path, given_by: str) -> None:
    secret = secrets.token_hex(16)
    if given_by == "file":
        path = tmp_path / "client-secret"
        path.write_text(secret + "\n")
        path.chmod(0o600)
        process = _run_cli("--client-id", "cid", "--client-secret-file", str(path), secret=None)
    else:
        process = _run_cli("--client-id", "cid", secret=secret)
    try:
        url = _url_of(process)
        # What ps shows every user: the process's argv.
        command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert b"spotify_emulator" in command_line
        assert secret.encode() not in command_line
        # ...and the emulator has it all the same.
        assert _redeem_a_code(url, "cid", secret).status_code == 200
        assert _redeem_a_code(url, "cid", "wrong").json()["error"] == "invalid_client"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


@pytest.mark.parametrize(
    "args",
    [
        ("--client-id", "cid"),
        ("--client-id", "cid", "--client-secret", "on-the-command-line"),
        ("--client-id", "cid", "--client-secret-file", "/nonexistent/client-secret"),
    ],
    ids=["none", "as-an-argument", "unreadable-file"],
)
def test_without_a_client_secret_kept_off_the_command_line_it_refuses_to_start(
    args: tuple[str, ...],
) -> None:
    process = _run_cli(*args, secret=None)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 2, output
    # Said in a JSON line, like everything it logs, and never echoing a misplaced secret.
    assert json.loads(output.splitlines()[-1])["level"] == "ERROR"
    assert "on-the-command-line" not in output
