"""The feed of every save's changes (WatchSaves): what a gateway's one call sees, and that
it holds one of the service's threads however many event streams it feeds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from tapedeck.library.v1 import library_pb2, library_pb2_grpc

from kit.channels import open_channel
from kit.server import Served
from library.diffs import Diffs
from library.reads import Reads
from library.runs import SaveRuns
from library.saves import Save
from library.server import create_library_server
from library.servicer import LibraryServicer
from library.store import LibraryStore

L = library_pb2


@pytest.fixture
def runs(store: LibraryStore, entities: Any) -> Iterator[SaveRuns]:
    runs = SaveRuns(store, entities, write_interval_s=0.0, watch_interval_s=0.0)
    yield runs
    runs.close()


def _read_until_ended(feed: Any, save_id: str) -> list[Save]:
    seen: list[Save] = []
    for batch in feed:
        seen.extend(save for save in batch if save.id == save_id)
        if seen and seen[-1].ended:
            return seen
    return seen


_ORDER = {"queued": 0, "running": 1, "succeeded": 2}


def test_a_feed_tells_every_save_in_order_up_to_its_final_state(
    runs: SaveRuns, entities: Any
) -> None:
    entities.set("u1", "albums", ["A", "B", "C"])
    feed = runs.feed()
    save = runs.start("u1", ["albums"], False)
    seen = _read_until_ended(feed, save.id)
    feed.close()
    # The feed hands each save's newest state when read, so `queued` may already be
    # `running` by then; what it never does is go back.
    ranks = [_ORDER[s.status] for s in seen]
    assert ranks == sorted(ranks)
    assert seen[-1] == runs.get("u1", save.id)
    assert seen[-1].status == "succeeded"
    assert [s.status for s in seen].count("succeeded") == 1


def test_a_feed_carries_the_saves_of_every_user(runs: SaveRuns) -> None:
    feed = runs.feed()
    first = runs.start("u1", ["albums"], False)
    second = runs.start("u2", ["albums"], False)
    ended: dict[str, str] = {}
    for batch in feed:
        ended.update({s.id: s.user_id for s in batch if s.ended})
        if len(ended) == 2:
            break
    feed.close()
    assert ended == {first.id: "u1", second.id: "u2"}


def test_a_closed_feed_ends_and_is_told_nothing_more(runs: SaveRuns) -> None:
    feed = runs.feed()
    feed.close()
    runs.start("u1", ["albums"], False)
    assert list(feed) == []


def test_stopping_the_process_tells_the_interrupted_states_then_ends_the_feed(
    store: LibraryStore, entities: Any
) -> None:
    runs = SaveRuns(store, entities, write_interval_s=0.0, watch_interval_s=0.0)
    entities.gates["tracks"] = threading.Event()
    feed = runs.feed()
    save = runs.start("u1", ["tracks"], False)
    runs.close()
    seen = [s for batch in feed for s in batch]  # ends by itself
    assert seen[-1].id == save.id
    assert seen[-1].status == "failed"
    assert seen[-1].error is not None and seen[-1].error.code == "interrupted"


@pytest.fixture
def served(
    runs: SaveRuns, store: LibraryStore, entities: Any, internal_token: str
) -> Iterator[Served]:
    servicer = LibraryServicer(runs, Reads(store, entities), Diffs(store, entities))
    # As few threads as the server allows: open watches must not need one each.
    served = create_library_server(servicer, "127.0.0.1:0", internal_token, workers=4)
    served.start()
    yield served
    served.stop(0)


@pytest.fixture
def stub(served: Served, internal_token: str) -> Iterator[library_pb2_grpc.LibraryServiceStub]:
    channel = open_channel(f"127.0.0.1:{served.port}", internal_token, timeout=10)
    yield library_pb2_grpc.LibraryServiceStub(channel)
    channel.close()


def test_watch_saves_says_subscribed_first_then_streams_changes_with_their_user(
    stub: library_pb2_grpc.LibraryServiceStub, entities: Any
) -> None:
    entities.set("u1", "albums", ["A", "B"])
    call = stub.WatchSaves(L.WatchSavesRequest(), timeout=30)
    try:
        first = next(call)
        assert not first.HasField("save") and first.user_id == ""
        save = stub.StartSave(L.StartSaveRequest(user_id="u1", kinds=[L.KIND_ALBUMS])).save
        seen = []
        for message in call:
            if message.save.id == save.id:
                assert message.user_id == "u1"
                seen.append(message.save)
                if message.save.status == L.SAVE_STATUS_SUCCEEDED:
                    break
        final = stub.GetSave(L.GetSaveRequest(user_id="u1", save_id=save.id)).save
        assert seen[-1] == final
        assert seen[-1].counts["albums"] == 2
    finally:
        call.cancel()


def test_a_cancelled_watch_gives_its_thread_back(
    stub: library_pb2_grpc.LibraryServiceStub,
) -> None:
    # Four workers: were a cancelled call's thread kept, the second round would wait for
    # one until its deadline.
    for _ in range(3):
        calls = [stub.WatchSaves(L.WatchSavesRequest(), timeout=5) for _ in range(3)]
        for call in calls:
            assert not next(call).HasField("save")
        for call in calls:
            call.cancel()
    assert stub.ListSaves(L.ListSavesRequest(user_id="u1"), timeout=5).total == 0
