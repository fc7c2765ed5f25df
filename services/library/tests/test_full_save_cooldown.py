"""Full saves of one user no closer together than the cooldown, decided from the saves table
(so every replica agrees); incremental saves are never limited."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from tapedeck.library.v1 import library_pb2, library_pb2_grpc

from kit import errors
from kit.channels import open_channel
from kit.status import error_from_rpc
from library.diffs import Diffs
from library.reads import Reads
from library.runs import SaveRuns
from library.saves import Save
from library.server import create_library_server
from library.servicer import LibraryServicer
from library.store import LibraryStore

COOLDOWN_S = 300


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _runs(store: LibraryStore, entities: Any, clock: Clock) -> SaveRuns:
    return SaveRuns(
        store,
        entities,
        clock=clock,
        write_interval_s=0.0,
        watch_interval_s=0.0,
        full_save_cooldown_s=COOLDOWN_S,
    )


@pytest.fixture
def runs(store: LibraryStore, entities: Any, clock: Clock) -> Iterator[SaveRuns]:
    runs = _runs(store, entities, clock)
    yield runs
    runs.close()


def _ended(runs: SaveRuns, save: Save) -> Save:
    deadline = time.monotonic() + 5
    while not (now := runs.get(save.user_id, save.id)).ended:
        assert time.monotonic() < deadline, "the save did not end"
        time.sleep(0.01)
    return now


def test_a_second_full_save_within_the_cooldown_is_refused_with_the_seconds_left(
    runs: SaveRuns, clock: Clock
) -> None:
    _ended(runs, runs.start("u1", ["tracks"], True))
    clock.advance(100)
    with pytest.raises(errors.RateLimited) as refused:
        runs.start("u1", [], True)
    assert refused.value.retry_after_s == COOLDOWN_S - 100
    clock.advance(COOLDOWN_S - 100)
    assert _ended(runs, runs.start("u1", [], True)).status == "succeeded"


def test_incremental_saves_are_not_limited_and_do_not_reset_the_cooldown(
    runs: SaveRuns, clock: Clock
) -> None:
    _ended(runs, runs.start("u1", [], True))
    for _ in range(3):
        clock.advance(10)
        _ended(runs, runs.start("u1", [], False))
    with pytest.raises(errors.RateLimited) as refused:
        runs.start("u1", [], True)
    assert refused.value.retry_after_s == COOLDOWN_S - 30


def test_the_cooldown_is_per_user(runs: SaveRuns) -> None:
    _ended(runs, runs.start("u1", [], True))
    assert _ended(runs, runs.start("u2", [], True)).status == "succeeded"


def test_a_full_save_asked_while_one_runs_is_answered_with_the_running_one(
    runs: SaveRuns, entities: Any
) -> None:
    import threading

    from library.runs import SaveRunning

    entities.gates["tracks"] = threading.Event()
    first = runs.start("u1", ["tracks"], True)
    with pytest.raises(SaveRunning) as running:
        runs.start("u1", ["tracks"], True)
    assert running.value.running.id == first.id
    entities.gates["tracks"].set()
    _ended(runs, first)


def test_the_cooldown_holds_across_replicas_on_one_database(
    runs: SaveRuns, store: LibraryStore, entities: Any, clock: Clock
) -> None:
    _ended(runs, runs.start("u1", [], True))
    other = _runs(store, entities, clock)
    try:
        clock.advance(1)
        with pytest.raises(errors.RateLimited) as refused:
            other.start("u1", [], True)
        assert refused.value.retry_after_s == COOLDOWN_S - 1
    finally:
        other.close()


def test_the_service_answers_resource_exhausted_with_retry_after(
    runs: SaveRuns, store: LibraryStore, entities: Any, internal_token: str, clock: Clock
) -> None:
    servicer = LibraryServicer(runs, Reads(store, entities), Diffs(store, entities))
    served = create_library_server(servicer, "127.0.0.1:0", internal_token)
    served.start()
    channel = open_channel(f"127.0.0.1:{served.port}", internal_token, timeout=10)
    try:
        stub = library_pb2_grpc.LibraryServiceStub(channel)
        first = stub.StartSave(library_pb2.StartSaveRequest(user_id="u1", full=True)).save
        _ended(runs, runs.get("u1", first.id))
        clock.advance(COOLDOWN_S - 7)
        with pytest.raises(grpc.RpcError) as refused:
            stub.StartSave(library_pb2.StartSaveRequest(user_id="u1", full=True))
        assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        error = error_from_rpc(refused.value)
        assert isinstance(error, errors.RateLimited)
        assert error.retry_after_s == 7
        assert error.code == "rate_limited"
        # An incremental save goes ahead.
        assert stub.StartSave(library_pb2.StartSaveRequest(user_id="u1")).save.status == (
            library_pb2.SAVE_STATUS_QUEUED
        )
    finally:
        channel.close()
        served.stop(0)
