"""Two library replicas behind round-robin, as on a cluster: two `python -m library`
processes on one PostgreSQL database, and the gateway's channel naming both (an ipv4: list,
on a cluster the headless Service's name). A save runs on one; the other, started while it
runs, leaves it running and reads and watches it; killing the save's process (SIGKILL: no
clean stop) ends the save partial within the lease, through the survivor, and saves go on
there."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from tapedeck.library.v1 import library_pb2, library_pb2_grpc
from teststack.stack import Stack

from kit.channels import open_channel
from kit.settings import ENTITY_SERVICES
from spotify_emulator import Emulator, Faults
from spotify_emulator.config import Hold

L = library_pb2
USER, OTHER = "tapedeck-demo", "replicas-other"
FOLLOWING = "GET /v1/me/following"
LEASE_S = 3.0
ENDED = ("succeeded", "partial", "failed")


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for one in sockets:
            one.bind(("127.0.0.1", 0))
        return [one.getsockname()[1] for one in sockets]
    finally:
        for one in sockets:
            one.close()


def _library_process(stack: Stack, emulator: Emulator, port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    env |= {
        "TAPEDECK_DATA_DIR": str(stack.data_dir),
        "TAPEDECK_INTERNAL_TOKEN": stack.internal_token,
        "TAPEDECK_LIBRARY_ADDR": f"127.0.0.1:{port}",
        "TAPEDECK_LIBRARY_DATABASE_URL": stack.database_urls["library"],
        "TAPEDECK_AUTH_ADDR": stack.addresses["auth"],
        "TAPEDECK_SPOTIFY_API_URL": emulator.api_url,
        "TAPEDECK_SAVE_LEASE_S": str(LEASE_S),
        "TAPEDECK_FULL_SAVE_COOLDOWN_S": "0",
        "TAPEDECK_LOG_LEVEL": "WARNING",
        **{f"TAPEDECK_{n.upper()}_ADDR": stack.addresses[n] for n in ENTITY_SERVICES},
    }
    log = (stack.data_dir / f"library-{port}.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "library"], env=env, cwd=stack.data_dir, stdout=log, stderr=log
    )


def _wait(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def _user_id(token: str) -> str:
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"])


class Api:
    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def save(self, save_id: str) -> dict[str, Any]:
        answer = self.session.get(f"{self.url}/api/v1/library/saves/{save_id}", timeout=30)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def start(self) -> str:
        answer = self.session.post(f"{self.url}/api/v1/library/saves", json={}, timeout=30)
        assert answer.status_code == 202, answer.text
        return str(answer.json()["id"])

    def ended(self, save_id: str, timeout: float = 60) -> dict[str, Any]:
        return dict(_wait(lambda: (s := self.save(save_id))["status"] in ENDED and s, timeout))


@pytest.fixture
def stack(
    emulator: Emulator, postgres_databases: Any, tmp_path: Path
) -> Iterator[tuple[Stack, list[int]]]:
    ports = _free_ports(2)
    running = Stack.start(
        emulator,
        tmp_path,
        database_urls={"library": postgres_databases()},
        # A held Spotify request is waited for as long as the test holds it.
        entity_overrides={"spotify_timeout_s": 120},
        gateway_overrides={"library_addr": "ipv4:" + ",".join(f"127.0.0.1:{p}" for p in ports)},
    )
    # The replicas are processes of their own.
    running.library.stop()
    yield running, ports
    running.stop()


def test_a_killed_replicas_save_ends_within_the_lease_through_the_survivor(
    emulator: Emulator, stack: tuple[Stack, list[int]]
) -> None:
    running, (port_a, port_b) = stack
    processes = [_library_process(running, emulator, port_a)]
    channel = None
    try:
        token = running.login(USER)
        api = Api(running.url, token)
        # Followed artists' first page is held: the save runs on with three kinds done.
        emulator.set_faults(Faults(hold=Hold(2, user=USER, route=FOLLOWING, timeout_s=120)))
        # Only A is up: the save is A's.
        save_id = _wait(lambda: _start_when_up(api))
        _wait(lambda: set(api.save(save_id)["counts"]) == {"playlists", "tracks", "albums"})

        # B starts while the save runs: its start leaves the save running, and B reads and
        # watches it.
        processes.append(_library_process(running, emulator, port_b))
        channel = open_channel(f"127.0.0.1:{port_b}", running.internal_token, timeout=10)
        b = library_pb2_grpc.LibraryServiceStub(channel)
        request = L.GetSaveRequest(user_id=_user_id(token), save_id=save_id)
        through_b = b.GetSave(request, wait_for_ready=True, timeout=60).save
        assert through_b.status == L.SAVE_STATUS_RUNNING
        watched: list[library_pb2.Save] = []
        watch = threading.Thread(
            target=lambda: watched.extend(
                m.save
                for m in b.WatchSave(
                    L.WatchSaveRequest(user_id=request.user_id, save_id=save_id), timeout=60
                )
            )
        )
        watch.start()
        # A lease passes, with three of B's heartbeats: A lives, the save runs on.
        time.sleep(LEASE_S)
        assert b.GetSave(request).save.status == L.SAVE_STATUS_RUNNING

        processes[0].send_signal(signal.SIGKILL)
        processes[0].wait(timeout=10)
        killed = time.monotonic()
        # Through the gateway, whose calls now all reach B.
        ended = api.ended(save_id, timeout=LEASE_S + 30)
        assert time.monotonic() - killed < LEASE_S + 30
        assert ended["status"] == "partial", ended
        assert ended["error"]["code"] == "interrupted"
        assert ended["error"]["kinds"] == ["artists"]
        assert set(ended["counts"]) == {"playlists", "tracks", "albums"}
        watch.join(timeout=30)
        assert not watch.is_alive()
        assert watched[0].status == L.SAVE_STATUS_RUNNING
        assert watched[-1].status == L.SAVE_STATUS_PARTIAL

        # Saves go on, on the survivor: another person's, and the same person's next one.
        emulator.set_faults(Faults())
        other = Api(running.url, running.login(OTHER))
        assert other.ended(other.start())["status"] == "succeeded"
        again = api.ended(api.start())
        assert again["status"] == "succeeded", again
        assert again["counts"]["tracks"] == ended["counts"]["tracks"]
    finally:
        if channel is not None:
            channel.close()
        for process in processes:
            process.kill()
            process.wait(timeout=10)


def _start_when_up(api: Api) -> str | None:
    """The save's id once the library answers (a starting process needs a moment)."""
    answer = api.session.post(f"{api.url}/api/v1/library/saves", json={}, timeout=30)
    if answer.status_code == 503:
        return None
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])
