"""A save's event stream cut by a shutdown ends with a final `error` event (the error body of
docs/api.md, code service_unavailable), never a dropped connection: when the library service
goes away mid-watch, and when the gateway itself begins to shut down."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from teststack.events import EventStream
from teststack.gateway import gateway_settings
from teststack.stack import Stack

from gateway.app import create_app
from gateway.server import GatewayServer, server_config
from spotify_emulator import Faults
from spotify_emulator.config import Hold

DEADLINE_S = 10


def _held_save(stack: Stack, api: Any) -> dict[str, Any]:
    """A save that cannot end: Spotify answers nothing until the test releases it."""
    stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
    save: dict[str, Any] = api.start()
    return save


def _assert_ends_with_service_unavailable(stream: EventStream) -> None:
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
    stream = EventStream()
    stream.read(stack.url, api.session.headers["Authorization"].split()[1], save["id"])
    try:
        stack.library.stop()
        stream.wait(DEADLINE_S)
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
    stream = EventStream()
    stream.read(own_gateway.url, api.session.headers["Authorization"].split()[1], save["id"])
    try:
        asked_at = time.monotonic()
        own_gateway.server.should_exit = True  # what SIGTERM does
        stream.wait(DEADLINE_S)
        # Not cut when the 60 s grace period ran out: ended as the shutdown began.
        assert stream.ended_at is not None and stream.ended_at - asked_at < DEADLINE_S
        own_gateway.thread.join(DEADLINE_S)
        assert not own_gateway.thread.is_alive(), "the gateway did not stop"
    finally:
        stack.emulator.set_faults(Faults())
    _assert_ends_with_service_unavailable(stream)
    # The save itself went on, and ends as usual.
    assert api.wait(save["id"])["status"] == "succeeded"
