"""A save's event stream cut by a shutdown ends with a final `error` event (the error body of
docs/api.md, code service_unavailable), never a dropped connection: when the library service
goes away mid-watch, and when the gateway itself begins to shut down."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from teststack.gateway import gateway_settings
from teststack.stack import Stack

from gateway.app import create_app
from gateway.server import GatewayServer, server_config
from spotify_emulator import Faults
from spotify_emulator.config import Hold

DEADLINE_S = 10


@dataclass
class Stream:
    """A save's event stream, read on a thread to its end."""

    events: list[tuple[str, Any]] = field(default_factory=list)
    failure: Exception | None = None
    ended_at: float | None = None
    first: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def read(self, url: str, token: str, save_id: str) -> None:
        def run() -> None:
            try:
                answer = requests.get(
                    f"{url}/api/v1/library/saves/{save_id}/events",
                    headers={"Authorization": f"Bearer {token}"},
                    stream=True,
                    timeout=60,
                )
                assert answer.status_code == 200, answer.text
                name = ""
                for line in answer.iter_lines(decode_unicode=True):
                    if line.startswith("event: "):
                        name = line.removeprefix("event: ")
                    elif line.startswith("data: "):
                        self.events.append((name, json.loads(line.removeprefix("data: "))))
                        self.first.set()
            except (requests.RequestException, AssertionError, ValueError) as exc:
                # A dropped connection (ChunkedEncodingError) is what this test looks for.
                self.failure = exc
            finally:
                self.ended_at = time.monotonic()
                self.first.set()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert self.first.wait(DEADLINE_S), "no first event"
        assert self.events and self.events[0][0] == "progress", self.events

    def wait(self) -> None:
        assert self.thread is not None
        self.thread.join(DEADLINE_S)
        assert not self.thread.is_alive(), "the stream did not end"


def _held_save(stack: Stack, api: Any) -> dict[str, Any]:
    """A save that cannot end: Spotify answers nothing until the test releases it."""
    stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
    save: dict[str, Any] = api.start()
    return save


def _assert_ends_with_service_unavailable(stream: Stream) -> None:
    assert stream.failure is None, repr(stream.failure)
    name, data = stream.events[-1]
    assert name == "error", stream.events[-1]
    assert data == {
        "error": {"status": 503, "code": "service_unavailable", "message": data["error"]["message"]}
    }
    assert data["error"]["message"]
    assert all(name == "progress" for name, _ in stream.events[:-1])


def test_the_library_service_going_away_mid_watch_ends_the_stream_with_an_error_event(
    stack: Stack, api: Any
) -> None:
    save = _held_save(stack, api)
    stream = Stream()
    stream.read(stack.url, api.session.headers["Authorization"].split()[1], save["id"])
    try:
        stack.library.stop()
        stream.wait()
    finally:
        stack.emulator.set_faults(Faults())
    _assert_ends_with_service_unavailable(stream)


@dataclass
class ServedGateway:
    server: GatewayServer
    thread: threading.Thread
    url: str


@pytest.fixture
def own_gateway(stack: Stack) -> Iterator[ServedGateway]:
    """A second gateway in front of the stack, served as `python -m gateway` serves it
    (GatewayServer), with a grace period far longer than the test waits."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = gateway_settings(
        stack.addresses, data_dir=stack.data_dir, public_url=url, grace_s=60
    )
    app = create_app(settings, stack.internal_token)
    server = GatewayServer(server_config(app, settings), app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + DEADLINE_S
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the gateway did not start"
        time.sleep(0.01)
    yield ServedGateway(server, thread, url)
    server.force_exit = server.should_exit = True
    thread.join(DEADLINE_S)
    sock.close()


def test_the_gateway_shutting_down_ends_an_open_stream_at_once_with_an_error_event(
    stack: Stack, api: Any, own_gateway: ServedGateway
) -> None:
    save = _held_save(stack, api)
    stream = Stream()
    stream.read(own_gateway.url, api.session.headers["Authorization"].split()[1], save["id"])
    try:
        asked_at = time.monotonic()
        own_gateway.server.should_exit = True  # what SIGTERM does
        stream.wait()
        # Not cut when the 60 s grace period ran out: ended as the shutdown began.
        assert stream.ended_at is not None and stream.ended_at - asked_at < DEADLINE_S
        own_gateway.thread.join(DEADLINE_S)
        assert not own_gateway.thread.is_alive(), "the gateway did not stop"
    finally:
        stack.emulator.set_faults(Faults())
    _assert_ends_with_service_unavailable(stream)
    # The save itself went on, and ends as usual.
    assert api.wait(save["id"])["status"] == "succeeded"
