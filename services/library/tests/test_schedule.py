"""Automatic saves (library.schedule): where each user's runs fall, a run missed while no
scheduler ran starting once, a user without a schedule never saved, a running save skipping
the scheduled one, two schedulers starting a due save once. On SQLite and PostgreSQL, with
the real SaveRuns (the entity services in memory, as the other logic tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kit import errors
from kit.database import Database, open_database
from library.kinds import KINDS
from library.runs import SaveRuns
from library.saves import Save
from library.schedule import Schedule, Schedules, next_run
from library.schedule_store import ScheduleStore
from library.store import LibraryStore
from library.wiring import MIGRATIONS

# A Wednesday afternoon, not on any boundary of a day or week.
START = datetime(2026, 3, 4, 15, 7, 31, tzinfo=UTC)
USERS = [f"user-{n:04d}" for n in range(1000)]


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url, MIGRATIONS)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runs(db: Database, entities: Any, clock: Clock) -> Iterator[SaveRuns]:
    runs = SaveRuns(LibraryStore(db), entities, clock=clock, write_interval_s=0.0)
    yield runs
    runs.close()


def _schedules(db: Database, runs: SaveRuns, clock: Clock) -> Schedules:
    """As library.wiring makes it."""
    return Schedules(ScheduleStore(db), lambda user: runs.start(user, (), full=False), clock)


@pytest.fixture
def schedules(db: Database, runs: SaveRuns, clock: Clock) -> Schedules:
    return _schedules(db, runs, clock)


def _saves(db: Database, user: str) -> list[Save]:
    return LibraryStore(db).page(user, 0, 100)[0]


def _wait_ended(runs: SaveRuns, user: str, save_id: str) -> Save:
    deadline = time.monotonic() + 10
    while not (save := runs.get(user, save_id)).ended:
        assert time.monotonic() < deadline, f"save {save_id} did not end"
        time.sleep(0.01)
    return save


def test_many_users_are_spread_over_the_day_each_at_its_own_fixed_time() -> None:
    runs = [next_run(user, "daily", START) for user in USERS]
    assert all(START < at <= START + timedelta(days=1) for at in runs)
    minutes = Counter(at.hour * 60 + at.minute for at in runs)
    # 1000 users thrown at random over 1440 minutes fill about 720 of them, at most a few
    # users each; every hour of the day has some.
    assert len(minutes) > 600
    assert max(minutes.values()) <= 8
    assert len({at.hour for at in runs}) == 24
    # A user's time of day is the same whenever it is asked, every day.
    for user, at in zip(USERS[:50], runs[:50], strict=True):
        later = START + timedelta(days=40, hours=7, seconds=13)
        again = next_run(user, "daily", later)
        assert later < again <= later + timedelta(days=1)
        assert (again - at) % timedelta(days=1) == timedelta(0)
        assert next_run(user, "daily", at) == at + timedelta(days=1)
        assert next_run(user, "daily", at - timedelta(seconds=1)) == at


def test_weekly_runs_are_spread_over_the_week_each_on_its_own_weekday_and_time() -> None:
    runs = [next_run(user, "weekly", START) for user in USERS]
    assert all(START < at <= START + timedelta(weeks=1) for at in runs)
    assert len({at.weekday() for at in runs}) == 7
    assert len({(at.weekday(), at.hour) for at in runs}) > 150  # of 168 hours
    for user, at in zip(USERS[:50], runs[:50], strict=True):
        later = START + timedelta(days=100, minutes=3)
        again = next_run(user, "weekly", later)
        assert (again - at) % timedelta(weeks=1) == timedelta(0)


def test_a_users_time_is_the_same_in_another_process() -> None:
    # Not Python's hash(): that differs per process, so replicas would disagree.
    code = (
        "from datetime import datetime, UTC; from library.schedule import next_run; "
        f"print(next_run('user-0007', 'daily', datetime.fromisoformat('{START.isoformat()}'))"
        ".isoformat())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert other.stdout.strip() == next_run("user-0007", "daily", START).isoformat()


def test_a_schedule_is_set_kept_changed_refused_and_turned_off(
    schedules: Schedules, db: Database, clock: Clock
) -> None:
    assert schedules.get("u1") is None
    daily = schedules.set("u1", "daily")
    assert daily == Schedule("u1", "daily", next_run("u1", "daily", START))
    assert schedules.get("u1") == daily
    # Asking again, later, for the same does not put the next run off.
    clock.now += timedelta(hours=5)
    assert schedules.set("u1", "daily") == daily
    # An unknown period is refused and changes nothing.
    for bad in ("hourly", "", "Daily", "monthly"):
        with pytest.raises(errors.InvalidArgument):
            schedules.set("u1", bad)
        with pytest.raises(errors.InvalidArgument):
            schedules.set("u2", bad)
    assert schedules.get("u1") == daily
    assert schedules.get("u2") is None
    weekly = schedules.set("u1", "weekly")
    assert weekly == Schedule("u1", "weekly", next_run("u1", "weekly", clock.now))
    assert schedules.get("u1") == weekly
    # Off: no run, however long.
    assert schedules.set("u1", None) is None
    assert schedules.get("u1") is None
    clock.now += timedelta(days=30)
    assert schedules.run_due() == []
    assert _saves(db, "u1") == []


def test_a_run_missed_while_down_runs_once_then_the_next_slot(
    schedules: Schedules, runs: SaveRuns, db: Database, clock: Clock, entities: Any
) -> None:
    entities.set("u1", "tracks", ["One"])
    first = schedules.set("u1", "daily")
    assert first is not None
    assert schedules.run_due() == []  # not due yet
    # Nobody looked for three and a half days: three runs were missed.
    clock.now = first.next_at + timedelta(days=3, hours=12)
    assert schedules.run_due() == ["u1"]
    (save,) = _saves(db, "u1")
    assert save.full is False and save.kinds == KINDS  # an ordinary incremental save
    assert _wait_ended(runs, "u1", save.id).status == "succeeded"
    # Once: the other missed runs do not follow, now that nothing runs.
    assert schedules.run_due() == []
    assert len(_saves(db, "u1")) == 1
    # The next run is the user's next slot after now, not one of the missed ones.
    following = schedules.get("u1")
    assert following is not None
    assert clock.now < following.next_at <= clock.now + timedelta(days=1)
    assert (following.next_at - first.next_at) % timedelta(days=1) == timedelta(0)
    clock.now = following.next_at
    assert schedules.run_due() == ["u1"]
    assert len(_saves(db, "u1")) == 2


def test_a_due_run_is_skipped_quietly_while_a_save_of_the_user_runs(
    schedules: Schedules, runs: SaveRuns, db: Database, clock: Clock, entities: Any
) -> None:
    entities.gates["tracks"] = threading.Event()
    schedule = schedules.set("u1", "daily")
    schedules.set("u2", "daily")
    assert schedule is not None
    running = runs.start("u1", ["tracks"], True)
    clock.now += timedelta(days=2)
    # u1's run is taken and skipped (its own save runs); u2's starts.
    assert schedules.run_due() == ["u2"]
    assert [s.id for s in _saves(db, "u1")] == [running.id]
    after = schedules.get("u1")
    assert after is not None and after.next_at > clock.now
    entities.gates["tracks"].set()
    assert _wait_ended(runs, "u1", running.id).status == "succeeded"


def test_two_schedulers_start_a_due_save_once(db: Database, runs: SaveRuns, clock: Clock) -> None:
    """Two library replicas, each with its scheduler, on one database."""
    store = ScheduleStore(db)
    one, other = _schedules(db, runs, clock), _schedules(db, runs, clock)
    users = USERS[:6]
    for user in users:
        one.set(user, "weekly")
    clock.now += timedelta(weeks=1)
    # Both found the same runs due; only one of them may take each.
    due = store.due(clock.now, 100)
    assert len(due) == len(users)
    following = clock.now + timedelta(days=1)
    assert all(store.move(s, following, clock.now) for s in due)
    assert not any(store.move(s, following, clock.now) for s in due)
    # The same through two passes racing.
    clock.now += timedelta(weeks=1)
    started: list[list[str]] = []
    passes = [
        threading.Thread(target=lambda s=s: started.append(s.run_due())) for s in (one, other)
    ]
    for thread in passes:
        thread.start()
    for thread in passes:
        thread.join()
    assert sorted(started[0] + started[1]) == users
    assert all(len(_saves(db, user)) == 1 for user in users)


def test_a_pass_starts_at_most_its_batch_the_rest_next_time(
    sqlite_database_url: str, entities: Any, clock: Clock
) -> None:
    db = open_database(sqlite_database_url, MIGRATIONS)
    runs = SaveRuns(LibraryStore(db), entities, clock=clock, write_interval_s=0.0)
    try:
        schedules = Schedules(
            ScheduleStore(db), lambda user: runs.start(user, (), full=False), clock, batch=2
        )
        for user in USERS[:5]:
            schedules.set(user, "daily")
        clock.now += timedelta(days=1)
        assert [len(schedules.run_due()) for _ in range(4)] == [2, 2, 1, 0]
    finally:
        runs.close()
        db.dispose()


def test_a_run_cut_short_by_the_library_stopping_stays_due_for_its_return(
    db: Database, entities: Any, clock: Clock
) -> None:
    stopping = SaveRuns(LibraryStore(db), entities, clock=clock, write_interval_s=0.0)
    schedules = _schedules(db, stopping, clock)
    schedule = schedules.set("u1", "daily")
    assert schedule is not None
    clock.now = schedule.next_at + timedelta(hours=1)
    stopping.close()
    with pytest.raises(errors.Unavailable):
        schedules.run_due()
    assert schedules.get("u1") == schedule  # still due
    assert _saves(db, "u1") == []
    back = SaveRuns(LibraryStore(db), entities, clock=clock, write_interval_s=0.0)
    try:
        assert _schedules(db, back, clock).run_due() == ["u1"]
        (save,) = _saves(db, "u1")
        assert _wait_ended(back, "u1", save.id).status == "succeeded"
    finally:
        back.close()
