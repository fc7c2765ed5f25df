"""The HTTP server itself: keep-alive, concurrency, images, the CLI, stopping."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from spotify_emulator import Emulator, EmulatorConfig


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


def test_the_command_line_logs_its_url_and_serves() -> None:
    process = subprocess.Popen(
        [
            sys.executable, "-m", "spotify_emulator", "--port", "0", "--seed", "42",
            "--profile", "tiny", "--mode", "legacy", "--client-id", "cid",
            "--client-secret", "secret", "--latency-ms", "1",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert found, line
        url = found.group(1)
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
