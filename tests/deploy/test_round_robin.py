"""Load spreads over the replicas of a service, as it must on a cluster: a caller's channel
(kit.channels, as every Tapedeck process opens it) to one target naming two replicas of the
artist service, on 127.0.0.2 and 127.0.0.3 at the same port as two pods behind a headless
Service, sends calls to both (HTTP/2 would otherwise pin every call to the first); and when
one replica stops, as in a rolling update, every call still succeeds on the other."""

from __future__ import annotations

import collections
import dataclasses
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from tapedeck.collection.v1 import collection_pb2, collection_pb2_grpc
from teststack.entities import SERVICES, entity_settings

from collection.server import build
from kit.channels import open_channel
from kit.server import Served, create_server
from spotify_emulator import Emulator

REPLICAS = ("127.0.0.2", "127.0.0.3")


class Counted:
    """A servicer that counts the calls it answers, then hands each to the real one."""

    def __init__(self, servicer: object, counts: collections.Counter[str], name: str) -> None:
        self._servicer = servicer
        self._counts = counts
        self._name = name
        self._lock = threading.Lock()

    def __getattr__(self, method: str) -> Any:
        real = getattr(self._servicer, method)
        if not callable(real):
            return real

        def counted(*args: Any) -> Any:
            with self._lock:
                self._counts[self._name] += 1
            return real(*args)

        return counted


def _free_port_on_both() -> int:
    """A port free on every replica's address (two pods listen on the same port)."""
    for _ in range(20):
        with socket.socket() as first:
            first.bind((REPLICAS[0], 0))
            port: int = first.getsockname()[1]
            try:
                with socket.socket() as second:
                    second.bind((REPLICAS[1], port))
            except OSError:
                continue
        return port
    raise AssertionError("no port free on both addresses")


@pytest.fixture
def replicas(
    emulator: Emulator,
    postgres_databases: Callable[[], str],
    internal_token: str,
    tmp_path: Path,
) -> Iterator[tuple[dict[str, Served], collections.Counter[str], int]]:
    """Two artist replicas sharing one PostgreSQL database, each counting its calls."""
    database = postgres_databases()
    port = _free_port_on_both()
    counts: collections.Counter[str] = collections.Counter()
    served: dict[str, Served] = {}
    closes = []
    try:
        for host in REPLICAS:
            settings = entity_settings(
                # Reads never call auth: no auth service is needed here.
                "artist",
                emulator,
                database,
                tmp_path / host,
                "127.0.0.1:1",
            )
            built = build(SERVICES["artist"], settings, internal_token)
            closes.append(built.close)
            registrations = [
                dataclasses.replace(r, servicer=Counted(r.servicer, counts, host))
                for r in built.registrations
            ]
            served[host] = create_server(
                f"{host}:{port}", registrations, internal_token=internal_token, max_workers=8
            )
            served[host].start()
        yield served, counts, port
    finally:
        for one in served.values():
            one.stop(0)
        for close in closes:
            close()


def _list(stub: collection_pb2_grpc.CollectionServiceStub) -> None:
    """A read of a save that does not exist: the replica's own answer is NOT_FOUND, where a
    call that reached no replica would end UNAVAILABLE."""
    with pytest.raises(grpc.RpcError) as raised:
        stub.ListItems(collection_pb2.ListItemsRequest(user_id="nobody", version="v", limit=10))
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND, raised.value


def test_calls_spread_over_both_replicas_and_survive_one_stopping(
    replicas: tuple[dict[str, Served], collections.Counter[str], int], internal_token: str
) -> None:
    served, counts, port = replicas
    # What TAPEDECK_ARTIST_ADDR would name: here an ipv4: list, on a cluster the headless
    # Service's dns:/// name; the channel treats both alike.
    target = "ipv4:" + ",".join(f"{host}:{port}" for host in REPLICAS)
    channel = open_channel(target, internal_token, timeout=10)
    try:
        stub = collection_pb2_grpc.CollectionServiceStub(channel)
        for _ in range(40):
            _list(stub)
        assert set(counts) == set(REPLICAS)
        # round_robin takes turns: each replica answers about half, not one nearly all.
        assert min(counts.values()) >= 10, counts

        served[REPLICAS[0]].stop(1.0)
        counts.clear()
        for _ in range(40):
            _list(stub)  # no call fails: it goes to the replica left
        assert counts == {REPLICAS[1]: 40}
    finally:
        channel.close()
