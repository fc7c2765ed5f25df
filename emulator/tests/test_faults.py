"""Fault injection on /v1: latency, rolling-window 429s, 5xx at a seeded rate and dropped
connections. Accounts and admin calls are never faulted."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from spotify_emulator import Emulator, Faults


def test_latency_delays_api_calls_only(emu: Emulator, client: Any) -> None:
    emu.set_faults(Faults(latency_ms=150))
    began = time.perf_counter()
    assert client.get("/me").status_code == 200
    assert time.perf_counter() - began >= 0.15
    began = time.perf_counter()
    requests.get(f"{emu.base_url}/_emulator/health", timeout=5)
    assert time.perf_counter() - began < 0.1


def test_the_rate_limit_answers_429_with_retry_after_and_the_window_rolls(
    emu: Emulator, client: Any
) -> None:
    emu.set_faults(Faults(rate_limit=(3, 0.6), retry_after_s=7))
    began = time.monotonic()
    assert [client.get("/me").status_code for _ in range(2)] == [200, 200]
    time.sleep(0.3)
    assert client.get("/me").status_code == 200
    refused = client.get("/me")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "7"
    assert refused.json() == {"error": {"status": 429, "message": "API rate limit exceeded"}}
    # Refused requests do not count: once the first two leave the window, two fit again.
    assert [client.get("/me").status_code for _ in range(3)] == [429, 429, 429]
    time.sleep(max(0.0, began + 0.65 - time.monotonic()))
    assert [client.get("/me").status_code for _ in range(3)] == [200, 200, 429]
    stats = emu.stats()
    assert stats["by_status"] == {"200": 5, "429": 5}


def test_dropped_connections_give_connection_errors(emu: Emulator, client: Any) -> None:
    emu.set_faults(Faults(drop_rate=1.0))
    with pytest.raises(requests.ConnectionError):
        client.get("/me")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emu.api_url}/me", timeout=5)
    assert emu.stats()["by_status"] == {"dropped": 2}
    # The accounts service and the admin API are never dropped.
    assert requests.get(f"{emu.base_url}/_emulator/health", timeout=5).status_code == 200
    denied = requests.post(f"{emu.accounts_url}/api/token", data={}, timeout=5)
    assert denied.status_code == 400
    emu.set_faults(Faults())
    assert client.get("/me").status_code == 200


def statuses(make_emu: Any, client_for: Any, faults: Faults, n: int) -> list[int]:
    emu = make_emu()
    client = client_for(emu)
    emu.set_faults(faults)
    return [client.get("/me").status_code for _ in range(n)]


def test_server_errors_come_at_the_configured_rate_and_repeat_with_the_seed(
    make_emu: Any, client_for: Any
) -> None:
    faults = Faults(error_rate=0.3, seed=7)
    first = statuses(make_emu, client_for, faults, 200)
    failed = [s for s in first if s != 200]
    assert set(failed) <= {500, 502, 503} and len(set(failed)) == 3
    assert 40 <= len(failed) <= 80
    assert statuses(make_emu, client_for, faults, 200) == first
    assert statuses(make_emu, client_for, Faults(error_rate=0.3, seed=8), 200) != first


def test_an_error_answer_has_spotifys_body(emu: Emulator, client: Any) -> None:
    emu.set_faults(Faults(error_rate=1.0))
    answer = client.get("/me/tracks")
    assert answer.status_code in (500, 502, 503)
    assert answer.json()["error"]["status"] == answer.status_code
    code = requests.get(
        f"{emu.accounts_url}/authorize",
        params={
            "client_id": "test-client",
            "response_type": "code",
            "redirect_uri": "http://127.0.0.1:1/cb",
        },
        allow_redirects=False,
        timeout=5,
    )
    assert code.status_code == 302


def test_setting_faults_again_restarts_the_sequence(emu: Emulator, client: Any) -> None:
    emu.set_faults(Faults(error_rate=0.5, seed=3))
    first = [client.get("/me").status_code for _ in range(30)]
    emu.set_faults(Faults(error_rate=0.5, seed=3))
    assert [client.get("/me").status_code for _ in range(30)] == first
    assert emu.faults == Faults(error_rate=0.5, seed=3)


def test_faults_from_the_config_apply_from_the_start(make_emu: Any, client_for: Any) -> None:
    client = client_for(make_emu(faults=Faults(rate_limit=(1, 60))))
    assert [client.get("/me").status_code for _ in range(2)] == [200, 429]
