"""Starting and running saves: the fan-out, progress, conflicts, failures, interruption."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kit import errors
from library.kinds import KINDS
from library.runs import SaveRunning, SaveRuns
from library.saves import FAILED, PARTIAL, RUNNING, SUCCEEDED, Save
from library.store import LibraryStore


@pytest.fixture
def runs(store: LibraryStore, entities: Any) -> Iterator[SaveRuns]:
    runs = SaveRuns(store, entities, write_interval_s=0.0, watch_interval_s=0.0)
    yield runs
    runs.close()


def _wait_ended(runs: SaveRuns, user_id: str, save_id: str, timeout: float = 5) -> Save:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        save = runs.get(user_id, save_id)
        if save.ended:
            return save
        time.sleep(0.01)
    raise AssertionError(f"save {save_id} did not end")


def _wait_status(runs: SaveRuns, user_id: str, save_id: str, status: str) -> None:
    deadline = time.monotonic() + 5
    while runs.get(user_id, save_id).status != status:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_save_is_queued_at_once_and_succeeds_in_the_background(
    runs: SaveRuns, entities: Any, store: LibraryStore
) -> None:
    entities.set("u1", "tracks", ["One", "Two"])
    save = runs.start("u1", [], False)
    assert save.status == "queued"
    assert save.kinds == KINDS
    done = _wait_ended(runs, "u1", save.id)
    assert done.status == SUCCEEDED
    assert done.run("tracks").count == 2
    assert done.started_at is not None and done.finished_at is not None
    assert {kind for kind, _ in entities.orders} == set(KINDS)
    assert store.get("u1", save.id) == done  # what the database holds is the final state


def test_spotify_requests_are_summed_over_the_kinds(runs: SaveRuns, entities: Any) -> None:
    entities.set("u1", "tracks", ["One", "Two"])
    entities.set("u1", "albums", ["A"])
    done = _wait_ended(runs, "u1", runs.start("u1", ["tracks", "albums"], False).id)
    assert done.spotify_requests == (1 + 2) + (1 + 1)


def test_a_second_save_while_one_runs_is_refused_with_the_running_one(
    runs: SaveRuns, entities: Any
) -> None:
    entities.gates["tracks"] = threading.Event()
    first = runs.start("u1", ["tracks"], False)
    with pytest.raises(SaveRunning) as refused:
        runs.start("u1", [], True)
    assert refused.value.running.id == first.id
    assert isinstance(refused.value, errors.Conflict)
    # Another user is not held up.
    other = runs.start("u2", ["albums"], False)
    assert _wait_ended(runs, "u2", other.id).status == SUCCEEDED
    entities.gates["tracks"].set()
    assert _wait_ended(runs, "u1", first.id).status == SUCCEEDED
    # Once it has ended, a new save may start.
    assert _wait_ended(runs, "u1", runs.start("u1", ["tracks"], False).id).status == SUCCEEDED


def test_the_kinds_run_concurrently(runs: SaveRuns, entities: Any) -> None:
    entities.gates["tracks"] = threading.Event()
    save = runs.start("u1", ["tracks", "albums"], False)
    deadline = time.monotonic() + 5
    # Albums completes while tracks is still held.
    while not runs.get("u1", save.id).run("albums").completed:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert runs.get("u1", save.id).status == RUNNING
    entities.gates["tracks"].set()
    assert _wait_ended(runs, "u1", save.id).status == SUCCEEDED


def _until(condition: Any, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def test_a_save_shares_the_users_spotify_bound_among_its_kinds(
    runs: SaveRuns, entities: Any
) -> None:
    entities.gates["playlists"] = threading.Event()
    entities.gates["tracks"] = threading.Event()
    save = runs.start("u1", [], False)
    _until(lambda: len(entities.orders) == 4)
    # 8 (the default bound) in even shares.
    shares = {kind: order.concurrency for kind, order in entities.orders}
    assert shares == {"playlists": 2, "tracks": 2, "albums": 2, "artists": 2}

    def current() -> dict[str, int]:
        now = dict(shares)
        for kind, save_id, n in entities.resized:
            assert save_id == save.id
            now[kind] = n
        return now

    # Albums and artists end: their shares go to playlists and tracks, still running.
    _until(lambda: current()["playlists"] + current()["tracks"] == 8)
    assert current()["playlists"] == current()["tracks"] == 4
    entities.gates["tracks"].set()
    # Tracks ends: playlists has the whole bound, never more.
    _until(lambda: current()["playlists"] == 8)
    entities.gates["playlists"].set()
    assert _wait_ended(runs, "u1", save.id).status == SUCCEEDED
    assert all(n <= 8 for _, _, n in entities.resized)


def test_a_share_handed_to_a_kind_that_has_ended_changes_nothing(
    store: LibraryStore, entities: Any
) -> None:
    # A bound of 3 over two kinds: 2 and 1. Both end at about the same time: a share handed
    # to one that has ended is refused (NotFound, as the entity services answer) and the
    # save goes on.
    runs = SaveRuns(store, entities, write_interval_s=0.0, spotify_concurrency=3)
    try:
        save = runs.start("u1", ["tracks", "albums"], False)
        assert _wait_ended(runs, "u1", save.id).status == SUCCEEDED
        assert sorted(order.concurrency for _, order in entities.orders) == [1, 2]
        assert all(kind in ("tracks", "albums") for kind, _, _ in entities.resized)
    finally:
        runs.close()


def test_a_bound_below_the_number_of_kinds_still_gives_each_kind_a_request(
    store: LibraryStore, entities: Any
) -> None:
    runs = SaveRuns(store, entities, write_interval_s=0.0, spotify_concurrency=2)
    try:
        save = runs.start("u1", [], False)
        assert _wait_ended(runs, "u1", save.id).status == SUCCEEDED
        assert [order.concurrency for _, order in entities.orders] == [1, 1, 1, 1]
    finally:
        runs.close()


def test_a_failed_kind_makes_the_save_partial(runs: SaveRuns, entities: Any) -> None:
    entities.failures["albums"] = errors.Unavailable("connect failed to 10.0.0.7:50055")
    done = _wait_ended(runs, "u1", runs.start("u1", [], False).id)
    assert done.status == PARTIAL
    assert done.error is not None
    assert done.error.kinds == ("albums",)
    assert done.error.code == "service_unavailable"
    assert "10.0.0.7" not in done.error.message  # no backend addresses in what users see
    assert done.run("tracks").completed


def test_every_kind_failing_fails_the_save(runs: SaveRuns, entities: Any) -> None:
    for kind in KINDS:
        entities.failures[kind] = errors.SpotifyAuthorizationLost("log in again")
    done = _wait_ended(runs, "u1", runs.start("u1", [], False).id)
    assert done.status == FAILED
    assert done.error is not None and done.error.code == "spotify_authorization_lost"


def test_a_bug_in_a_sync_fails_only_its_kind(runs: SaveRuns, entities: Any) -> None:
    entities.failures["artists"] = RuntimeError("boom")
    done = _wait_ended(runs, "u1", runs.start("u1", [], False).id)
    assert done.status == PARTIAL
    assert done.error is not None and done.error.kinds == ("artists",)


def test_a_sync_starts_from_the_kinds_last_completed_version(runs: SaveRuns, entities: Any) -> None:
    entities.set("u1", "tracks", ["One"])
    first = _wait_ended(runs, "u1", runs.start("u1", [], False).id)
    entities.orders.clear()
    # A save of albums alone does not move tracks' base.
    _wait_ended(runs, "u1", runs.start("u1", ["albums"], False).id)
    entities.failures["tracks"] = errors.Unavailable("down")
    _wait_ended(runs, "u1", runs.start("u1", ["tracks"], True).id)  # fails: no new base
    del entities.failures["tracks"]
    entities.orders.clear()
    _wait_ended(runs, "u1", runs.start("u1", ["tracks"], True).id)
    [(kind, order)] = entities.orders
    assert kind == "tracks"
    assert order.base_version == first.run("tracks").version
    assert order.full is True


def test_a_first_save_has_no_base_version(runs: SaveRuns, entities: Any) -> None:
    _wait_ended(runs, "u1", runs.start("u1", ["tracks"], False).id)
    assert [order.base_version for _, order in entities.orders] == [""]


def test_watching_a_save_streams_its_progress_until_the_final_state(
    runs: SaveRuns, entities: Any
) -> None:
    entities.set("u1", "tracks", ["One", "Two", "Three"])
    entities.gates["tracks"] = threading.Event()
    save = runs.start("u1", ["tracks"], False)
    seen: list[Save] = []

    def watch() -> None:
        seen.extend(runs.watch("u1", save.id, lambda: True))

    watcher = threading.Thread(target=watch)
    watcher.start()
    _wait_status(runs, "u1", save.id, RUNNING)
    entities.gates["tracks"].set()
    watcher.join(timeout=5)
    assert not watcher.is_alive()
    assert seen[-1].status == SUCCEEDED
    assert [s for s in seen if s.ended] == [seen[-1]]  # exactly one final message, last
    assert any(s.status == RUNNING for s in seen)


def test_watching_an_ended_save_gives_its_final_state_once(runs: SaveRuns, entities: Any) -> None:
    done = _wait_ended(runs, "u1", runs.start("u1", ["tracks"], False).id)
    assert list(runs.watch("u1", done.id, lambda: True)) == [done]


def test_another_users_save_is_not_found(runs: SaveRuns, entities: Any) -> None:
    save = runs.start("u1", ["tracks"], False)
    with pytest.raises(errors.NotFound):
        runs.get("u2", save.id)
    with pytest.raises(errors.NotFound):
        list(runs.watch("u2", save.id, lambda: True))
    _wait_ended(runs, "u1", save.id)
    with pytest.raises(errors.NotFound):
        runs.get("u2", save.id)


def test_saves_are_listed_newest_first(runs: SaveRuns, entities: Any) -> None:
    ids = [_wait_ended(runs, "u1", runs.start("u1", ["tracks"], False).id).id for _ in range(3)]
    saves, total = runs.page("u1", 0, 2)
    assert total == 3
    assert [s.id for s in saves] == ids[::-1][:2]
    assert [s.id for s in runs.page("u1", 2, 2)[0]] == ids[:1]
    assert runs.page("u2", 0, 10) == ([], 0)


def test_stopping_the_service_ends_a_save_with_no_completed_kind_failed_interrupted(
    store: LibraryStore, entities: Any
) -> None:
    runs = SaveRuns(store, entities, write_interval_s=0.0)
    entities.gates["tracks"] = threading.Event()
    entities.gates["albums"] = threading.Event()
    save = runs.start("u1", ["tracks", "albums"], False)
    _wait_status(runs, "u1", save.id, RUNNING)
    runs.close()
    stored = store.get("u1", save.id)
    assert stored is not None
    assert stored.status == FAILED
    assert stored.error is not None and stored.error.code == "interrupted"
    assert stored.error.kinds == ("tracks", "albums")


def test_stopping_the_service_mid_save_keeps_the_kinds_that_completed(
    store: LibraryStore, entities: Any
) -> None:
    runs = SaveRuns(store, entities, write_interval_s=0.0)
    entities.set("u1", "tracks", ["One", "Two"])
    entities.gates["artists"] = threading.Event()
    save = runs.start("u1", [], False)
    _until(lambda: sum(runs.get("u1", save.id).run(k).completed for k in KINDS) == 3)
    runs.close()
    stored = store.get("u1", save.id)
    assert stored is not None
    assert stored.status == PARTIAL
    assert stored.finished_at is not None
    assert stored.error is not None
    assert stored.error.code == "interrupted"
    assert stored.error.kinds == ("artists",)
    # The cancelled sync's kind is interrupted, not blamed on its service.
    assert stored.run("artists").error_code == "interrupted"
    # Reads and the next save's base take the completed kinds from it.
    for kind in ("playlists", "tracks", "albums"):
        assert stored.completed(kind)
        latest = store.latest_completing("u1", kind)
        assert latest is not None and latest.id == save.id
    assert store.latest_completing("u1", "artists") is None


def test_saves_left_unfinished_by_a_dead_process_are_ended_on_start(
    store: LibraryStore, entities: Any
) -> None:
    from datetime import UTC, datetime

    from library.entities import Outcome
    from library.saves import kind_completed, new_save, started

    now = datetime.now(UTC)
    store.add(started(new_save("b" * 32, "u1", ("tracks",), False, now), now))
    store.add(new_save("c" * 32, "u2", ("albums",), False, now))
    # A save whose tracks had completed (persisted as succeeded) when the process died.
    half = started(new_save("d" * 32, "u3", ("tracks", "albums"), False, now), now)
    half = half.with_run(kind_completed(half.run("tracks"), Outcome("v-tracks", 2, 1)))
    store.add(half)
    store.put(half)
    runs = SaveRuns(store, entities)
    try:
        assert sorted(runs.recover()) == ["b" * 32, "c" * 32, "d" * 32]
        for user, save_id in (("u1", "b" * 32), ("u2", "c" * 32)):
            save = runs.get(user, save_id)
            assert save.status == FAILED
            assert save.error is not None and save.error.code == "interrupted"
        kept = runs.get("u3", "d" * 32)
        assert kept.status == PARTIAL
        assert kept.error is not None and kept.error.code == "interrupted"
        assert kept.error.kinds == ("albums",)
        assert kept.run("tracks").version == "v-tracks"
        latest = store.latest_completing("u3", "tracks")
        assert latest is not None and latest.id == "d" * 32
        # The user is free to save again, and tracks start from the kept version.
        entities.orders.clear()
        assert _wait_ended(runs, "u3", runs.start("u3", ["tracks"], False).id).status == SUCCEEDED
        assert [order.base_version for _, order in entities.orders] == ["v-tracks"]
    finally:
        runs.close()
