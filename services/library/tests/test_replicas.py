"""Two library replicas on one database, each its own gRPC server, runs and connection (as two
processes would be): a save started on one is read and watched through the other; the
other's start and heartbeats leave it running while its replica lives; once that replica
dies (stops serving and beating mid-save) the survivor ends the save within the lease, and
the survivor's own saves go on. The entity services are the in-memory stand-in, one per
replica, so each replica's syncs are held or let go on their own."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from tapedeck.library.v1 import library_pb2, library_pb2_grpc

from kit.channels import open_channel
from kit.database import Database, open_database
from kit.server import Served
from library.diffs import Diffs
from library.reads import Reads
from library.runs import Heartbeat, SaveRuns
from library.saves import interrupted, new_save, started
from library.server import create_library_server
from library.servicer import LibraryServicer
from library.store import LibraryStore
from library.wiring import MIGRATIONS

L = library_pb2
# Short enough for a quick test, long enough that a busy machine's late heartbeat (every
# third of it) never loses a live replica's save.
LEASE_S = 2.0
COMPLETED = ["playlists", "tracks", "albums"]


@dataclass
class Replica:
    runs: SaveRuns
    heartbeat: Heartbeat
    served: Served
    channel: grpc.Channel
    stub: library_pb2_grpc.LibraryServiceStub
    db: Database
    recovered: list[str]

    def kill(self) -> None:
        """As the process dying: it answers no more calls and extends no more leases, and
        its held save never ends by itself."""
        self.heartbeat.stop()
        self.served.stop(0)

    def close(self) -> None:
        self.channel.close()
        self.served.stop(0)
        self.runs.close()
        self.db.dispose()


@pytest.fixture
def replicas(database_url: str, internal_token: str) -> Iterator[Any]:
    started_ones: list[Replica] = []

    def start(name: str, entities: Any) -> Replica:
        db = open_database(database_url, MIGRATIONS)
        store = LibraryStore(db)
        runs = SaveRuns(
            store,
            entities,
            write_interval_s=0.0,
            watch_interval_s=0.0,
            poll_interval_s=0.05,
            replica_id=name,
            lease_s=LEASE_S,
        )
        recovered = runs.recover()
        heartbeat = runs.keep_leases()
        servicer = LibraryServicer(runs, Reads(store, entities), Diffs(store, entities))
        served = create_library_server(servicer, "127.0.0.1:0", internal_token)
        served.start()
        channel = open_channel(f"127.0.0.1:{served.port}", internal_token, timeout=10)
        replica = Replica(
            runs,
            heartbeat,
            served,
            channel,
            library_pb2_grpc.LibraryServiceStub(channel),
            db,
            recovered,
        )
        started_ones.append(replica)
        return replica

    yield start
    for replica in reversed(started_ones):
        replica.close()


def _get(replica: Replica, user: str, save_id: str) -> library_pb2.Save:
    return replica.stub.GetSave(L.GetSaveRequest(user_id=user, save_id=save_id)).save


def _until(replica: Replica, user: str, save_id: str, done: Any, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while not done(save := _get(replica, user, save_id)):
        assert time.monotonic() < deadline, save
        time.sleep(0.02)
    return save


def _ended(save: library_pb2.Save) -> bool:
    return save.status not in (L.SAVE_STATUS_QUEUED, L.SAVE_STATUS_RUNNING)


def test_a_save_outlives_the_other_replica_and_ends_within_the_lease_once_its_own_dies(
    replicas: Any, entities: Any
) -> None:
    # Each replica its own channels to the entity services: its own stand-in.
    a_entities, b_entities = entities, type(entities)()
    a_entities.set("u1", "tracks", ["One", "Two"])
    # Artists wait on A: the save runs on with three kinds completed.
    a_entities.gates["artists"] = threading.Event()
    a = replicas("library-a", a_entities)
    save_id = a.stub.StartSave(L.StartSaveRequest(user_id="u1")).save.id
    _until(a, "u1", save_id, lambda s: sorted(s.counts) == sorted(COMPLETED))

    # B starts: its recovery leaves A's running save alone, and B reads it as it is.
    b = replicas("library-b", b_entities)
    assert b.recovered == []
    through_b = _get(b, "u1", save_id)
    assert through_b.status == L.SAVE_STATUS_RUNNING
    assert through_b.counts["tracks"] == 2
    # The same user cannot start a second save through B.
    again = b.stub.StartSave(L.StartSaveRequest(user_id="u1"))
    assert again.already_running and again.save.id == save_id

    watched: list[library_pb2.Save] = []
    watch = threading.Thread(
        target=lambda: watched.extend(
            m.save for m in b.stub.WatchSave(L.WatchSaveRequest(user_id="u1", save_id=save_id))
        )
    )
    watch.start()

    # B's own save, held too, on B.
    b_entities.gates["albums"] = threading.Event()
    own_id = b.stub.StartSave(L.StartSaveRequest(user_id="u2")).save.id
    _until(b, "u2", own_id, lambda s: s.status == L.SAVE_STATUS_RUNNING)

    # A lease passes, with B's heartbeat looking for dead replicas' saves on each of its
    # three beats: A lives, so its save keeps running.
    time.sleep(LEASE_S)
    assert _get(b, "u1", save_id).status == L.SAVE_STATUS_RUNNING
    assert not watched or watched[-1].status == L.SAVE_STATUS_RUNNING

    a.kill()
    killed = time.monotonic()
    ended = _until(b, "u1", save_id, _ended)
    # Within the lease (and the survivor's next beat), with slack for a busy machine.
    assert time.monotonic() - killed < LEASE_S + 10
    assert ended.status == L.SAVE_STATUS_PARTIAL
    assert ended.error.code == "interrupted"
    assert list(ended.error.kinds) == [L.KIND_ARTISTS]
    assert sorted(ended.counts) == sorted(COMPLETED)
    assert ended.HasField("finished_at")
    # B's watcher saw it running, then its final state, and the stream ended.
    watch.join(timeout=10)
    assert not watch.is_alive()
    assert watched[0].status == L.SAVE_STATUS_RUNNING
    assert watched[-1] == ended

    # The survivor's own save went on through all of it, and ends as it should.
    assert _get(b, "u2", own_id).status == L.SAVE_STATUS_RUNNING
    b_entities.gates["albums"].set()
    assert _until(b, "u2", own_id, _ended).status == L.SAVE_STATUS_SUCCEEDED
    # The dead replica's user may save again, through the survivor.
    b_entities.set("u1", "tracks", ["One", "Two", "Three"])
    next_id = b.stub.StartSave(L.StartSaveRequest(user_id="u1")).save.id
    done = _until(b, "u1", next_id, _ended)
    assert done.status == L.SAVE_STATUS_SUCCEEDED
    assert done.counts["tracks"] == 3


def test_a_replica_that_stalled_past_its_lease_changes_nothing_of_the_save_it_lost(
    replicas: Any, entities: Any, caplog: pytest.LogCaptureFixture
) -> None:
    a_entities, b_entities = entities, type(entities)()
    a_entities.set("u1", "tracks", ["One", "Two"])
    a_entities.gates["artists"] = threading.Event()
    a = replicas("library-a", a_entities)
    save_id = a.stub.StartSave(L.StartSaveRequest(user_id="u1")).save.id
    _until(a, "u1", save_id, lambda s: sorted(s.counts) == sorted(COMPLETED))
    b = replicas("library-b", b_entities)

    # A stalls (its heartbeat stops beating, as in a long pause) but keeps serving: B ends
    # the save once the lease has passed.
    a.heartbeat.stop()
    ended = _until(b, "u1", save_id, _ended)
    assert ended.status == L.SAVE_STATUS_PARTIAL and ended.error.code == "interrupted"

    # A wakes: its next beat finds the save taken, and A answers what the database holds.
    a.runs.renew_leases()
    assert "save leases lost" in caplog.text
    assert _get(a, "u1", save_id) == ended
    # A's run of it completes the held kind and ends, but writes nothing over the end.
    a_entities.gates["artists"].set()
    a.runs.close()
    assert _get(b, "u1", save_id) == ended


def test_an_expired_save_is_taken_by_one_replica_and_a_renewed_one_by_none(
    database_url: str,
) -> None:
    db = open_database(database_url, MIGRATIONS)
    try:
        store = LibraryStore(db)
        now = datetime.now(UTC)
        lapsed = started(new_save("a" * 32, "u1", ("tracks",), False, now), now)
        live = started(new_save("b" * 32, "u2", ("tracks",), False, now), now)
        assert store.add(lapsed, "dead", now - timedelta(seconds=1)) is None
        assert store.add(live, "alive", now + timedelta(seconds=1)) is None
        # Progress written by the owner keeps its lease (put never touches it).
        store.put(live)
        until = now + timedelta(seconds=30)
        taken = store.take_expired("one", now, until)
        assert [s.id for s in taken] == ["a" * 32]
        assert store.take_expired("two", now, until) == []
        # The live owner still holds its save; the dead one has lost its own.
        assert store.renew("alive", ["b" * 32], until) == {"b" * 32}
        assert store.renew("dead", ["a" * 32], until) == set()
        # A save its owner ended is still its own (done, not lost), and final: a late
        # write of it running is refused.
        assert store.put(interrupted(taken[0], now))
        assert store.renew("one", ["a" * 32], until) == {"a" * 32}
        assert not store.put(taken[0])
        stored = store.get("u1", "a" * 32)
        assert stored is not None and stored.ended
        # Once the live save's renewed lease passes, it is taken; an ended one never is.
        later = until + timedelta(seconds=1)
        assert [s.id for s in store.take_expired("two", later, later)] == ["b" * 32]
    finally:
        db.dispose()
