"""The library service's storage, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from kit.database import open_database
from library.entities import Outcome, Progress
from library.saves import (
    KindRun,
    Save,
    finished,
    kind_completed,
    kind_failed,
    kind_progressed,
    new_save,
    started,
)
from library.store import LibraryStore
from library.wiring import MIGRATIONS

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _store(url: str) -> LibraryStore:
    return LibraryStore(open_database(url, MIGRATIONS))


def _id(n: int) -> str:
    return f"{n:032x}"


def _id_of(save: Save | None) -> str | None:
    return None if save is None else save.id


def test_a_save_reads_back_as_written(database_url: str) -> None:
    store = _store(database_url)
    save = started(new_save(_id(1), "u1", ("tracks", "albums"), True, NOW), NOW)
    assert store.add(save) is None
    save = save.with_run(kind_progressed(save.run("tracks"), Progress(5, None, 2)))
    save = save.with_run(kind_completed(save.run("albums"), Outcome("v" * 64, 10, 3)))
    save = save.with_run(kind_failed(save.run("tracks"), "rate_limited", "slow down"))
    save = finished(save, NOW + timedelta(seconds=3))
    store.put(save)
    read = store.get("u1", save.id)
    assert read == save
    assert read is not None and read.run("tracks") == KindRun(
        "tracks", "failed", "", 0, Progress(5, None, 2), "rate_limited", "slow down"
    )


def test_a_user_has_at_most_one_active_save(database_url: str) -> None:
    store = _store(database_url)
    first = new_save(_id(1), "u1", ("tracks",), False, NOW)
    assert store.add(first) is None
    assert store.add(new_save(_id(2), "u1", ("tracks",), False, NOW)) == first
    assert store.add(new_save(_id(3), "u2", ("tracks",), False, NOW)) is None
    store.put(finished(started(first, NOW), NOW))
    assert store.add(new_save(_id(4), "u1", ("tracks",), False, NOW)) is None


def test_racing_starts_create_one_save(database_url: str) -> None:
    store = _store(database_url)
    results: list[object] = []
    barrier = threading.Barrier(8)

    def start(n: int) -> None:
        barrier.wait()
        results.append(store.add(new_save(_id(100 + n), "u1", ("tracks",), False, NOW)))

    threads = [threading.Thread(target=start, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(None) == 1
    assert store.page("u1", 0, 50)[1] == 1


def test_another_users_save_is_not_returned(database_url: str) -> None:
    store = _store(database_url)
    store.add(new_save(_id(1), "u1", ("tracks",), False, NOW))
    assert store.get("u2", _id(1)) is None


def test_the_newest_save_completing_a_kind_is_found(database_url: str) -> None:
    store = _store(database_url)

    def save(n: int, kinds: tuple[str, ...], fail: tuple[str, ...] = ()) -> None:
        s = started(new_save(_id(n), "u1", kinds, False, NOW + timedelta(minutes=n)), NOW)
        for kind in kinds:
            run = s.run(kind)
            s = s.with_run(
                kind_failed(run, "x", "y")
                if kind in fail
                else kind_completed(run, Outcome(f"v{n}", 1, 1))
            )
        store.add(s)
        store.put(finished(s, NOW))

    save(1, ("tracks", "albums"))
    save(2, ("tracks",))
    save(3, ("tracks", "albums"), fail=("albums",))
    save(4, ("tracks", "albums"), fail=("tracks", "albums"))
    assert _id_of(store.latest_completing("u1", "tracks")) == _id(3)
    assert _id_of(store.latest_completing("u1", "albums")) == _id(1)
    assert store.latest_completing("u1", "artists") is None
    assert store.latest_completing("u2", "tracks") is None
    assert _id_of(store.latest_succeeded("u1")) == _id(2)
    older = store.latest_succeeded("u1", before=store.get("u1", _id(2)))
    assert older is not None and older.id == _id(1)
    assert store.latest_succeeded("u1", before=older) is None


def test_saves_page_newest_first(database_url: str) -> None:
    store = _store(database_url)
    for n in range(5):
        s = new_save(_id(n), "u1", ("tracks",), False, NOW + timedelta(seconds=n))
        store.add(s)
        store.put(finished(started(s, NOW), NOW))
    saves, total = store.page("u1", 1, 3)
    assert total == 5
    assert [s.id for s in saves] == [_id(3), _id(2), _id(1)]


def test_unfinished_saves_of_every_user_are_found(database_url: str) -> None:
    store = _store(database_url)
    store.add(new_save(_id(1), "u1", ("tracks",), False, NOW))
    store.add(started(new_save(_id(2), "u2", ("tracks",), False, NOW), NOW))
    done = new_save(_id(3), "u3", ("tracks",), False, NOW)
    store.add(done)
    store.put(finished(started(done, NOW), NOW))
    assert sorted(s.id for s in store.unfinished()) == [_id(1), _id(2)]
