"""The library service over real gRPC with a real database: its contract, errors, and what it
does when the entity services are down (the stand-in keeps the rest fast; the real entity
services take part in tests/library)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import grpc
import pytest
from tapedeck.library.v1 import library_pb2, library_pb2_grpc
from teststack.library import start_library
from teststack.running import Running

from kit.channels import open_channel
from kit.server import Served
from library.diffs import Diffs
from library.reads import Reads
from library.runs import SaveRuns
from library.server import create_library_server
from library.servicer import LibraryServicer
from library.store import LibraryStore

L = library_pb2
Stub = library_pb2_grpc.LibraryServiceStub


@pytest.fixture
def served(store: LibraryStore, entities: Any, internal_token: str) -> Iterator[Served]:
    runs = SaveRuns(store, entities, write_interval_s=0.0, watch_interval_s=0.0)
    servicer = LibraryServicer(runs, Reads(store, entities), Diffs(store, entities))
    served = create_library_server(servicer, "127.0.0.1:0", internal_token)
    served.start()
    yield served
    served.stop(0)
    runs.close()


@pytest.fixture
def stub(served: Served, internal_token: str) -> Iterator[Stub]:
    channel = open_channel(f"127.0.0.1:{served.port}", internal_token, timeout=10)
    yield library_pb2_grpc.LibraryServiceStub(channel)
    channel.close()


def _wait_ended(stub: Stub, user: str, save_id: str, timeout: float = 10) -> library_pb2.Save:
    deadline = time.monotonic() + timeout
    while True:
        save = stub.GetSave(L.GetSaveRequest(user_id=user, save_id=save_id)).save
        if save.status not in (L.SAVE_STATUS_QUEUED, L.SAVE_STATUS_RUNNING):
            return save
        assert time.monotonic() < deadline, "the save did not end"
        time.sleep(0.02)


def _code(call: Callable[..., object], *args: object) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as caught:
        call(*args)
    return caught.value.code()


def test_a_save_starts_queued_and_ends_succeeded(stub: Stub, entities: Any) -> None:
    entities.set("u1", "tracks", ["One", "Two"])
    answer = stub.StartSave(L.StartSaveRequest(user_id="u1"))
    assert not answer.already_running
    assert answer.save.status == L.SAVE_STATUS_QUEUED
    assert list(answer.save.kinds) == [
        L.KIND_PLAYLISTS,
        L.KIND_TRACKS,
        L.KIND_ALBUMS,
        L.KIND_ARTISTS,
    ]
    assert answer.save.HasField("created_at") and not answer.save.HasField("finished_at")
    done = _wait_ended(stub, "u1", answer.save.id)
    assert done.status == L.SAVE_STATUS_SUCCEEDED
    assert done.counts["tracks"] == 2
    assert done.progress["tracks"].total_known and done.progress["tracks"].done == 2
    assert not done.HasField("error")
    page = stub.ListItems(L.ListItemsRequest(user_id="u1", kind=L.KIND_TRACKS, limit=1))
    assert page.total == 2 and len(page.items_json) == 1


def test_a_second_save_returns_the_running_one(stub: Stub, entities: Any) -> None:
    import threading

    entities.gates["tracks"] = threading.Event()
    first = stub.StartSave(L.StartSaveRequest(user_id="u1", kinds=[L.KIND_TRACKS])).save
    again = stub.StartSave(L.StartSaveRequest(user_id="u1", full=True))
    assert again.already_running
    assert again.save.id == first.id
    entities.gates["tracks"].set()
    _wait_ended(stub, "u1", first.id)


def test_watch_streams_until_the_final_state(stub: Stub, entities: Any) -> None:
    entities.set("u1", "albums", ["A", "B", "C"])
    save = stub.StartSave(L.StartSaveRequest(user_id="u1", kinds=[L.KIND_ALBUMS])).save
    seen = [m.save for m in stub.WatchSave(L.WatchSaveRequest(user_id="u1", save_id=save.id))]
    assert seen[-1].status == L.SAVE_STATUS_SUCCEEDED
    assert all(s.status in (L.SAVE_STATUS_QUEUED, L.SAVE_STATUS_RUNNING) for s in seen[:-1])


def test_unknown_kinds_and_bad_paging_are_invalid_arguments(stub: Stub) -> None:
    invalid = grpc.StatusCode.INVALID_ARGUMENT
    unknown = cast(L.Kind, 9)  # a number the enum does not name
    for kind in (L.KIND_UNSPECIFIED, unknown):
        assert _code(stub.StartSave, L.StartSaveRequest(user_id="u1", kinds=[kind])) == invalid
    assert _code(lambda: stub.StartSave(L.StartSaveRequest())) == invalid
    assert _code(lambda: stub.ListItems(L.ListItemsRequest(user_id="u1"))) == invalid
    for offset, limit in ((-1, 10), (0, 101), (0, -5)):
        request = L.ListItemsRequest(user_id="u1", kind=L.KIND_TRACKS, offset=offset, limit=limit)
        assert _code(stub.ListItems, request) == invalid
    assert _code(lambda: stub.ListSaves(L.ListSavesRequest(user_id="u1", limit=500))) == invalid


def test_unknown_and_foreign_saves_are_not_found(stub: Stub, entities: Any) -> None:
    theirs = stub.StartSave(L.StartSaveRequest(user_id="u2")).save
    _wait_ended(stub, "u2", theirs.id)
    not_found = grpc.StatusCode.NOT_FOUND
    for save_id in (theirs.id, "0" * 32, "../../etc/passwd", "x" * 5000):
        assert _code(stub.GetSave, L.GetSaveRequest(user_id="u1", save_id=save_id)) == not_found
        watch = L.WatchSaveRequest(user_id="u1", save_id=save_id)
        assert _code(lambda r: list(stub.WatchSave(r)), watch) == not_found
        request = L.ListItemsRequest(user_id="u1", kind=L.KIND_TRACKS, save_id=save_id)
        assert _code(stub.ListItems, request) == not_found
    assert _code(lambda: stub.Diff(L.DiffRequest(user_id="u1", to_save_id=theirs.id))) == not_found


def test_list_saves_pages_newest_first(stub: Stub, entities: Any) -> None:
    ids = []
    for _ in range(3):
        save = stub.StartSave(L.StartSaveRequest(user_id="u1", kinds=[L.KIND_ARTISTS])).save
        ids.append(_wait_ended(stub, "u1", save.id).id)
    answer = stub.ListSaves(L.ListSavesRequest(user_id="u1", offset=1, limit=5))
    assert answer.total == 3
    assert [s.id for s in answer.saves] == ids[::-1][1:]


def test_diff_names_what_changed(stub: Stub, entities: Any) -> None:
    entities.set("u1", "artists", ["Old"])
    first = _wait_ended(stub, "u1", stub.StartSave(L.StartSaveRequest(user_id="u1")).save.id)
    entities.set("u1", "artists", ["New"])
    second = _wait_ended(stub, "u1", stub.StartSave(L.StartSaveRequest(user_id="u1")).save.id)
    diff = stub.Diff(L.DiffRequest(user_id="u1"))
    assert (diff.from_save_id, diff.to_save_id) == (first.id, second.id)
    [artists] = [k for k in diff.kinds if k.kind == L.KIND_ARTISTS]
    assert [r.name for r in artists.comparison.added] == ["New"]
    assert [r.name for r in artists.comparison.removed] == ["Old"]


def test_calls_without_the_internal_credential_are_refused(served: Served) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{served.port}") as channel:
        stub = library_pb2_grpc.LibraryServiceStub(channel)
        with pytest.raises(grpc.RpcError) as caught:
            stub.ListSaves(L.ListSavesRequest(user_id="u1"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.fixture
def library_alone(
    sqlite_database_url: str, tmp_path: Path, internal_token: str
) -> Iterator[Running]:
    running = start_library(
        database_url=sqlite_database_url,
        data_dir=tmp_path,
        internal_token=internal_token,
        addresses={},
    )
    yield running
    running.stop()


def test_with_every_entity_service_down_a_save_fails_at_once(
    library_alone: Running, internal_token: str
) -> None:
    channel = open_channel(library_alone.address, internal_token, timeout=10)
    stub = library_pb2_grpc.LibraryServiceStub(channel)
    began = time.monotonic()
    save = stub.StartSave(L.StartSaveRequest(user_id="u1")).save
    done = _wait_ended(stub, "u1", save.id, timeout=10)
    assert time.monotonic() - began < 10
    assert done.status == L.SAVE_STATUS_FAILED
    assert done.error.code == "service_unavailable"
    assert set(done.error.kinds) == {L.KIND_PLAYLISTS, L.KIND_TRACKS, L.KIND_ALBUMS, L.KIND_ARTISTS}
    # Reads never reach the (down) entity services before a kind has completed.
    assert stub.ListItems(L.ListItemsRequest(user_id="u1", kind=L.KIND_TRACKS)).total == 0
    channel.close()


def test_a_restarted_service_fails_the_saves_it_left_running(
    sqlite_database_url: str, tmp_path: Path, internal_token: str
) -> None:
    from datetime import UTC, datetime

    from kit.database import open_database
    from library.saves import new_save, started
    from library.wiring import MIGRATIONS

    db = open_database(sqlite_database_url, MIGRATIONS)
    now = datetime.now(UTC)
    LibraryStore(db).add(started(new_save("d" * 32, "u1", ("tracks",), False, now), now))
    db.dispose()  # the process "died" with the save running
    running = start_library(
        database_url=sqlite_database_url,
        data_dir=tmp_path,
        internal_token=internal_token,
        addresses={},
    )
    try:
        channel = open_channel(running.address, internal_token, timeout=10)
        save = (
            library_pb2_grpc.LibraryServiceStub(channel)
            .GetSave(L.GetSaveRequest(user_id="u1", save_id="d" * 32))
            .save
        )
        assert save.status == L.SAVE_STATUS_FAILED
        assert save.error.code == "interrupted"
        channel.close()
    finally:
        running.stop()
