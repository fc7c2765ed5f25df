"""The hold: requests kept back until n are in flight at once, then all let go (reached), or
let go anyway once nothing joins for a while (timed out). What it proves does not depend on
how fast anything runs."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
import requests

from spotify_emulator import Emulator, Faults
from spotify_emulator.config import Hold

TRACKS = "GET /v1/me/tracks"


def _holds(emu: Emulator) -> Any:
    return emu.stats()["holds"]


def test_n_requests_in_flight_release_the_hold(emu: Emulator, client_for: Any) -> None:
    emu.set_faults(Faults(hold=Hold(n=3, user="alice", timeout_s=30)))
    # /me answers in microseconds: only the hold can have three of them in flight at once.
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: client_for(emu, "alice").get("/me"), range(3)))
    assert [a.status_code for a in answers] == [200] * 3
    stats = emu.stats()
    assert stats["holds"] == {"reached": 1, "timed_out": 0}
    assert stats["max_in_flight_by_user"] == {"alice": 3}
    # The hold is over: later requests are not held.
    assert client_for(emu, "alice").get("/me").status_code == 200
    assert _holds(emu) == {"reached": 1, "timed_out": 0}


def test_fewer_than_n_time_the_hold_out(emu: Emulator, client_for: Any) -> None:
    emu.set_faults(Faults(hold=Hold(n=3, user="alice", timeout_s=0.3)))
    began = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: client_for(emu, "alice").get("/me"), range(2)))
    assert time.monotonic() - began >= 0.3
    assert [a.status_code for a in answers] == [200] * 2
    assert _holds(emu) == {"reached": 0, "timed_out": 1}
    assert client_for(emu, "alice").get("/me").status_code == 200
    assert _holds(emu) == {"reached": 0, "timed_out": 1}


def test_only_the_users_requests_on_the_route_are_held(emu: Emulator, client_for: Any) -> None:
    emu.set_faults(Faults(hold=Hold(n=2, user="alice", route=TRACKS, timeout_s=60)))
    alice, bob = client_for(emu, "alice"), client_for(emu, "bob")
    with ThreadPoolExecutor(1) as pool:
        held: Future[requests.Response] = pool.submit(
            lambda: client_for(emu, "alice").get("/me/tracks")
        )
        # Were these held, they would wait for the 60 s timeout (the client gives up at 10),
        # or end the hold.
        assert alice.get("/me").status_code == 200
        assert bob.get("/me/tracks").status_code == 200
        assert _holds(emu) == {"reached": 0, "timed_out": 0}
        assert alice.get("/me/tracks").status_code == 200
        assert held.result().status_code == 200
    stats = emu.stats()
    assert stats["holds"] == {"reached": 1, "timed_out": 0}
    assert stats["max_in_flight_by_route"][TRACKS] == 2


def test_setting_faults_again_lets_held_requests_go(emu: Emulator, client_for: Any) -> None:
    emu.set_faults(Faults(hold=Hold(n=5, timeout_s=60)))
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(lambda: client_for(emu, "alice").get("/me"))
        deadline = time.monotonic() + 10
        while not emu.stats()["max_in_flight_by_user"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not held.done()
        emu.set_faults(Faults())
        assert held.result(timeout=10).status_code == 200
    assert _holds(emu) == {"reached": 0, "timed_out": 0}


def test_holds_over_http(emu: Emulator, client: Any) -> None:
    url = f"{emu.base_url}/_emulator/faults"
    hold = {"n": 1, "user": "alice", "route": "GET /v1/me", "timeout_s": 2.0}
    answer = requests.put(url, json={"hold": hold}, timeout=5)
    assert answer.status_code == 200
    assert answer.json()["hold"] == hold
    assert emu.faults.hold == Hold(n=1, user="alice", route="GET /v1/me", timeout_s=2.0)
    assert client.get("/me").status_code == 200
    assert _holds(emu) == {"reached": 1, "timed_out": 0}
    assert requests.get(url, timeout=5).json()["hold"] == hold
    assert requests.put(url, json={"hold": {"n": 2}}, timeout=5).json()["hold"] == {
        "n": 2,
        "user": None,
        "route": None,
        "timeout_s": 5.0,
    }
    for bad in ({"n": 0}, {"user": "alice"}, {"n": 2, "when": 1}, [2]):
        assert requests.put(url, json={"hold": bad}, timeout=5).status_code == 400
    assert requests.put(url, json={}, timeout=5).json()["hold"] is None


def test_a_hold_needs_one_request_and_some_time() -> None:
    with pytest.raises(ValueError):
        Hold(n=0)
    with pytest.raises(ValueError):
        Hold(n=2, timeout_s=0)
