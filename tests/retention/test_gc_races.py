"""Garbage collection racing a running save of the same user, on SQLite and PostgreSQL: the
entity services collect without pause while the save runs (and while an older save of the
user is deleted), round after round; every save succeeds and reads back exactly."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from tapedeck.collection.v1 import collection_pb2, collection_pb2_grpc
from teststack.fixtures import make_emulator
from teststack.stack import Stack

from kit.channels import open_channel
from kit.credentials import credential_for
from kit.settings import ENTITY_SERVICES
from spotify_emulator.config import Faults, Hold

from .conftest import Api

ROUNDS = 4


@pytest.fixture(params=["sqlite", "postgresql"])
def stack(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_databases_maybe: Any
) -> Iterator[Stack]:
    emulator = make_emulator()
    urls = None
    if request.param == "postgresql":
        make = postgres_databases_maybe()
        urls = {name: make() for name in ("auth", "library", *ENTITY_SERVICES)}
    running = Stack.start(emulator, tmp_path, database_urls=urls)
    yield running
    running.stop()
    emulator.stop()


@pytest.fixture
def postgres_databases_maybe(request: pytest.FixtureRequest) -> Callable[[], Any]:
    """The kit's postgres_databases fixture, asked for only by the PostgreSQL runs (it
    skips, or under CI=true fails, when the server is away)."""
    return lambda: request.getfixturevalue("postgres_databases")


class Collector:
    """Collects garbage in every entity service, as fast as it can, until stopped."""

    def __init__(self, stack: Stack) -> None:
        credential = credential_for(stack.internal_token, "library")
        self._channels = [
            open_channel(stack.entities[name].address, credential, 30.0) for name in ENTITY_SERVICES
        ]
        self._stubs = [collection_pb2_grpc.CollectionServiceStub(c) for c in self._channels]
        self._stop = threading.Event()
        self.collections = 0
        self.failures: list[BaseException] = []
        self._thread = threading.Thread(target=self._loop)

    def __enter__(self) -> Collector:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        for channel in self._channels:
            channel.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            for stub in self._stubs:
                try:
                    stub.CollectGarbage(collection_pb2.CollectGarbageRequest(), timeout=30)
                    self.collections += 1
                except grpc.RpcError as exc:  # reported by the test
                    self.failures.append(exc)


def test_collections_racing_a_running_save_of_the_same_user_lose_nothing(
    stack: Stack, api_for: Any, library_equals: Any
) -> None:
    api: Api = api_for(stack)
    truth = stack.emulator.user("tapedeck-demo")
    pid = next(
        p for p in truth.playlist_ids() if not truth.items_withheld(p) and truth.playlist_items(p)
    )
    n = len(truth.playlist_items(pid))
    liked = [s["track"]["uri"] for s in truth.saved_tracks()]
    previous = api.save()
    assert previous["status"] == "succeeded", previous
    with Collector(stack) as collector:
        for round_ in range(ROUNDS):
            # Changes for the save to write: a new item, a new liked song, a reorder.
            order = list(range(n))
            order = order[round_ % n :] + order[: round_ % n]
            truth.edit_playlist(pid, items=[*order, liked[round_ % len(liked)]])
            truth.like_tracks(1)
            # The save waits on Spotify (held) while the collector runs and the user's
            # older save is deleted; then it fetches and writes while collections go on.
            stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
            try:
                save = api.start()
                saves = f"{api.url}/api/v1/library/saves"
                assert api.session.delete(f"{saves}/{save['id']}").status_code == 409
                assert api.session.delete(f"{saves}/{previous['id']}").status_code == 204
            finally:
                stack.emulator.set_faults(Faults())
            ended = api.wait(save["id"])
            assert ended["status"] == "succeeded", ended
            library_equals(api, truth)
            previous = ended
    assert not collector.failures
    assert collector.collections > 0
    # Once the collector has stopped, the last save still reads back whole.
    library_equals(api, truth)
    assert [s["id"] for s in api.all("/api/v1/library/saves")] == [previous["id"]]
