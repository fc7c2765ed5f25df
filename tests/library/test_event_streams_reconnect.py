"""The gateway's one feed of save changes breaking while streams are open: it is reopened
and every watched save read again, so a save that ended while the feed was down still
reaches its streams with `done`. The break is made by a TCP relay between the gateway and
the library that can cut its connections and hold new ones."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from teststack.events import EventStream
from teststack.gateway import RunningGateway, gateway_settings
from teststack.stack import Stack

from spotify_emulator import Faults
from spotify_emulator.config import Hold

DEADLINE_S = 30


class Relay:
    """Forwards 127.0.0.1:<port> to `target`. cut() closes every open connection; while
    held, new connections are accepted but carry nothing until released."""

    def __init__(self, target: str) -> None:
        host, port = target.split(":")
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._released.set()
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self._released.wait()
        if self._stopped:
            client.close()
            return
        server = socket.create_connection(self._target)
        with self._lock:
            self._open.update((client, server))
        for source, sink in ((client, server), (server, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            self._open.clear()

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def stop(self) -> None:
        self._stopped = True
        self._listener.close()
        self.release()
        self.cut()


@pytest.fixture
def relay(stack: Stack) -> Iterator[Relay]:
    running = Relay(stack.addresses["library"])
    yield running
    running.stop()


@pytest.fixture
def relayed_gateway(stack: Stack, relay: Relay) -> Iterator[RunningGateway]:
    """A gateway that reaches the library through the relay."""
    addresses = {**stack.addresses, "library": relay.address}
    gateway = RunningGateway(
        gateway_settings(addresses, data_dir=stack.data_dir), stack.internal_token
    ).start()
    yield gateway
    gateway.stop()


def test_a_save_that_ends_while_the_feed_is_down_still_gets_its_done(
    stack: Stack, api: Any, relay: Relay, relayed_gateway: RunningGateway
) -> None:
    token = api.session.headers["Authorization"].split()[1]
    stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
    try:
        save = api.start(kinds=["artists"])
        streams = [EventStream() for _ in range(3)]
        for stream in streams:
            stream.read(relayed_gateway.url, token, save["id"])
        relay.hold()
        relay.cut()
        # Spotify answers: the save ends while the gateway cannot hear of it.
        stack.emulator.set_faults(Faults())
        ended = api.wait(save["id"])
        assert ended["status"] == "succeeded"
        relay.release()
        for stream in streams:
            stream.wait(DEADLINE_S)
    finally:
        relay.release()
        stack.emulator.set_faults(Faults())
    for stream in streams:
        assert stream.failure is None, repr(stream.failure)
        assert stream.events[-2:] == [("progress", ended), ("done", ended)]
        assert all(name == "progress" for name, _ in stream.events[:-1])
