"""Two library replicas' restores on one database (SQLite, PostgreSQL), each replica its own
RestoreJobs, gRPC server and connection (as two processes would be), writing to the Spotify
emulator: a restore started through one is read, watched and cancelled through the other,
whose start and heartbeats leave it running while its replica lives; once that replica dies
mid-restore, the survivor resumes it after the lease and every item lands exactly once."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from tapedeck.restore.v1 import restore_pb2, restore_pb2_grpc

from kit.channels import open_channel
from kit.database import Database, open_database
from kit.server import Registration, Served, create_server
from kit.spotify.client import SpotifyClient, SpotifyGate
from library.leases import Heartbeat
from library.reads import Reads
from library.restores.edits import PER_CALL
from library.restores.imports import Imports
from library.restores.jobs import RestoreJobs
from library.restores.model import CANCELLED, QUEUED, RUNNING, Restore, Selection
from library.restores.servicer import RestoreServicer
from library.restores.store import CANCEL, HELD, LOST, RestoreStore
from library.store import LibraryStore
from library.wiring import MIGRATIONS
from spotify_emulator import Emulator, Faults
from spotify_emulator.emulator import ALL_SCOPES, WRITE_SCOPES

R = restore_pb2
USER = "tapedeck-demo"
# Short for a quick test, long enough that a busy machine's late heartbeat (every third of
# it) never loses a live replica's restore.
LEASE_S = 2.0
ITEMS = 250  # per playlist: three batches of PER_CALL


@dataclass
class Replica:
    jobs: RestoreJobs
    heartbeat: Heartbeat
    served: Served
    channel: grpc.Channel
    stub: restore_pb2_grpc.RestoreServiceStub
    db: Database
    recovered: list[str]

    def kill(self) -> None:
        """As the process dying: it answers no more calls, extends no more leases, and its
        restore's run stops after the request in flight, its lease held to the end."""
        self.served.stop(0)
        self.jobs.close(release=False)

    def close(self) -> None:
        self.channel.close()
        self.served.stop(0)
        self.jobs.close()
        self.db.dispose()


@pytest.fixture
def replicas(
    database_url: str, internal_token: str, emulator: Emulator, entities: Any
) -> Iterator[Any]:
    token = emulator.issue_token(USER, f"{ALL_SCOPES} {WRITE_SCOPES}")["access_token"]
    started: list[Replica] = []

    def start(name: str) -> Replica:
        db = open_database(database_url, MIGRATIONS)
        imports = Imports(db)

        def client_for(user_id: str) -> SpotifyClient:
            return SpotifyClient(
                api_url=emulator.api_url,
                tokens=lambda _old: token,
                gate=SpotifyGate(),
                timeout_s=10,
            )

        jobs = RestoreJobs(
            RestoreStore(db),
            # Restores from imports here: the saves' reads are never asked.
            Reads(LibraryStore(db), entities),
            imports,
            client_for,
            workers=2,
            concurrency=1,  # one playlist at a time: a restore spans several batches
            retry_for_s=10,
            replica_id=name,
            lease_s=LEASE_S,
        )
        recovered = jobs.recover()
        heartbeat = jobs.keep_leases()
        served = create_server(
            "127.0.0.1:0",
            [
                Registration(
                    R.DESCRIPTOR.services_by_name["RestoreService"],
                    restore_pb2_grpc.add_RestoreServiceServicer_to_server,
                    RestoreServicer(jobs, imports),
                )
            ],
            internal_token=internal_token,
        )
        served.start()
        channel = open_channel(f"127.0.0.1:{served.port}", internal_token, timeout=10)
        replica = Replica(
            jobs,
            heartbeat,
            served,
            channel,
            restore_pb2_grpc.RestoreServiceStub(channel),
            db,
            recovered,
        )
        started.append(replica)
        return replica

    yield start
    for replica in reversed(started):
        replica.close()


def _uris(emulator: Emulator) -> list[str]:
    user = emulator.user(USER)
    found: dict[str, None] = {}
    for playlist in user.playlists_simplified():
        for item in user.playlist_items(playlist["id"]):
            obj = item.get("item") or item.get("track")
            uri = obj.get("uri", "") if isinstance(obj, dict) else ""
            if uri.startswith("spotify:track:"):
                found[uri] = None
    return list(found)


def _import(replica: Replica, emulator: Emulator, names: list[str]) -> dict[str, list[str]]:
    """An import of playlists of ITEMS tracks each (the library's, in turn); answers each
    one's name and URIs, as restoring it must make them."""
    uris = _uris(emulator)
    wanted = {
        name: [uris[(n * 7 + i) % len(uris)] for i in range(ITEMS)] for n, name in enumerate(names)
    }
    made = replica.stub.CreateImport(
        R.CreateImportRequest(
            user_id=USER,
            format="uris",
            playlists=[R.ImportedPlaylist(name=n, uris=u) for n, u in wanted.items()],
        )
    ).imported
    wanted["_import"] = [made.id]
    return wanted


def _start(replica: Replica, import_id: str) -> str:
    started = replica.stub.StartRestore(
        R.StartRestoreRequest(
            user_id=USER, source_import=import_id, selection=R.Selection(all_playlists=True)
        )
    )
    return str(started.restore.id)


def _get(replica: Replica, restore_id: str) -> restore_pb2.Restore:
    return replica.stub.GetRestore(R.GetRestoreRequest(user_id=USER, restore_id=restore_id)).restore


def _until(replica: Replica, restore_id: str, done: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not done(found := _get(replica, restore_id)):
        assert time.monotonic() < deadline, found
        time.sleep(0.02)
    return found


def _ended(restore: restore_pb2.Restore) -> bool:
    return restore.status not in ("queued", "running")


def _made(emulator: Emulator, names: list[str]) -> dict[str, list[list[str | None]]]:
    """Each name's playlists in the emulator, as lists of item URIs."""
    user = emulator.user(USER)
    found: dict[str, list[list[str | None]]] = {name: [] for name in names}
    for playlist in user.playlists_simplified():
        if playlist["name"] in found:
            items: list[str | None] = []
            for item in user.playlist_items(playlist["id"]):
                obj = item.get("item") or item.get("track")
                items.append(obj.get("uri") if isinstance(obj, dict) else None)
            found[playlist["name"]].append(items)
    return found


def test_a_restore_is_read_watched_and_cancelled_through_the_other_replica(
    replicas: Any, emulator: Emulator
) -> None:
    a = replicas("library-a")
    names = [f"Cancel {n}" for n in range(6)]
    wanted = _import(a, emulator, names)
    # Slow enough that the restore outlasts a lease with time to spare (24 writes, each
    # 0.3 s): it is cancelled long before it would end.
    emulator.set_faults(Faults(latency_ms=300))
    restore_id = _start(a, wanted["_import"][0])
    _until(a, restore_id, lambda r: r.done > 0)

    # B starts: its recovery leaves A's running restore alone, and B reads it as it is.
    b = replicas("library-b")
    assert b.recovered == []
    through_b = _get(b, restore_id)
    assert through_b.status == "running" and 0 < through_b.done < through_b.total

    watched: list[restore_pb2.Restore] = []
    watch = threading.Thread(
        target=lambda: watched.extend(
            m.restore
            for m in b.stub.WatchRestore(R.WatchRestoreRequest(user_id=USER, restore_id=restore_id))
        )
    )
    watch.start()

    # A lease passes, B's heartbeat looking for dead replicas' restores on each of its
    # beats: A lives, so its restore runs on, on A alone.
    time.sleep(LEASE_S)
    assert _get(b, restore_id).status == "running"
    assert b.jobs.recover() == []

    # Cancelled through B: A, which runs it, ends it cancelled and writes no more.
    b.stub.CancelRestore(R.CancelRestoreRequest(user_id=USER, restore_id=restore_id))
    ended = _until(b, restore_id, _ended)
    assert ended.status == "cancelled"
    assert ended.done < ended.total
    writes = emulator.writes()["total"]
    watch.join(timeout=10)
    assert not watch.is_alive()
    assert watched[0].status == "running" and watched[-1] == ended
    emulator.set_faults(Faults())
    time.sleep(LEASE_S / 2)  # a beat of each replica: neither writes on, nor resumes it
    assert emulator.writes()["total"] == writes
    assert _get(a, restore_id) == ended
    # What was written is the start of each playlist, once: never a batch twice.
    for name, lists in _made(emulator, names).items():
        assert len(lists) <= 1
        for items in lists:
            assert items == wanted[name][: len(items)]


def test_a_killed_replicas_restore_is_resumed_by_the_survivor_each_item_once(
    replicas: Any, emulator: Emulator
) -> None:
    a = replicas("library-a")
    b = replicas("library-b")
    names = ["Resume one", "Resume two", "Resume three"]
    wanted = _import(a, emulator, names)
    emulator.reset_stats()
    emulator.set_faults(Faults(latency_ms=60))
    restore_id = _start(a, wanted["_import"][0])
    cut = _until(a, restore_id, lambda r: r.done >= PER_CALL)
    assert cut.status == "running"

    a.kill()
    killed = time.monotonic()
    emulator.set_faults(Faults())
    left = _get(b, restore_id)
    assert left.status == "running" and left.done < left.total
    done = _until(b, restore_id, _ended)
    # Within the lease (and the survivor's next beat), with slack for a busy machine.
    assert time.monotonic() - killed < LEASE_S + 15
    assert done.status == "succeeded", done
    assert done.done == done.total == ITEMS * len(names)

    # Each playlist made once, holding each item once, in order: the emulator's counters
    # show one create per playlist and one add per batch, none sent twice.
    made = _made(emulator, names)
    for name in names:
        assert made[name] == [wanted[name]]
    writes = Counter({r: n for r, n in emulator.writes().items() if r != "total"})
    assert sum(n for r, n in writes.items() if r.endswith("/items")) == len(names) * math.ceil(
        ITEMS / PER_CALL
    ), writes
    assert sum(n for r, n in writes.items() if r.endswith("/playlists")) == len(names), writes


def test_an_expired_restore_is_taken_by_one_replica_and_a_lost_one_takes_no_writes(
    database_url: str,
) -> None:
    db = open_database(database_url, MIGRATIONS)
    try:
        store = RestoreStore(db)
        now = datetime.now(UTC)
        until = now + timedelta(seconds=30)

        def restore(n: int) -> Restore:
            return Restore(f"{n:032x}", USER, RUNNING, False, "new", "", "i", Selection(), now)

        lapsed, live, queued = restore(1), restore(2), restore(3)
        store.add(lapsed, [], "dead", now - timedelta(seconds=1))
        store.add(live, [], "alive", now + timedelta(seconds=1))
        queued.status = QUEUED
        store.add(queued, [], "alive", now + timedelta(seconds=1))
        # Of two replicas looking at once, one takes the lapsed restore; the live ones stay.
        assert [r.id for r in store.take_expired("one", now, until)] == [lapsed.id]
        assert store.take_expired("two", now, until) == []
        assert store.renew("alive", [live.id], until) == ({live.id}, set())
        assert store.renew("dead", [lapsed.id], until) == (set(), set())
        # The dead owner's late write changes nothing; the new owner's lands.
        lapsed.done = 7
        assert store.save(lapsed, "dead") == LOST
        assert store.save(lapsed, "one") == HELD
        # A cancel asked through any replica: a queued restore ends at once, a running
        # one's owner is told on its next write and beat.
        store.request_cancel(USER, queued.id, now)
        store.request_cancel(USER, live.id, now)
        ended = store.get(USER, queued.id)
        assert ended is not None and ended.status == CANCELLED and ended.finished_at == now
        assert store.save(queued, "alive") == LOST
        assert store.save(live, "alive") == CANCEL
        assert store.renew("alive", [live.id], until) == ({live.id}, {live.id})
        # Ended by its owner: final, whoever writes after.
        live.status = CANCELLED
        assert store.save(live, "alive") == CANCEL
        live.status = RUNNING
        assert store.save(live, "alive") == LOST
        # A stopping replica lets its leases go: the next to look takes them at once.
        store.release("one", [lapsed.id])
        assert [r.id for r in store.take_expired("two", now, until)] == [lapsed.id]
        stored = store.get(USER, lapsed.id)
        assert stored is not None and stored.done == 7
    finally:
        db.dispose()
