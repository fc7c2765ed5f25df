"""Automatic saves: a user asks for one daily or weekly, and a scheduler starts it when due.

Each user's runs fall at a fixed point of the period, found by a hash of the user id: the
saves of many users are spread over the day (or the week), never all at one minute, and a
user's stays put from one period to the next and across restarts and replicas.

A run is taken by moving the user's next run to the first slot after now before the save
starts, with a compare-and-set in the database, so of several schedulers (library replicas,
or a CronJob's passes) exactly one starts it; and a run missed while no scheduler ran (the
service was down for three days) runs once when one comes back, not once per missed slot.

A scheduled save is an ordinary incremental save; when one of the user's saves is already
running, the run is skipped quietly (the running save is as good)."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from kit import errors
from library.runs import SaveRunning

log = logging.getLogger(__name__)

PERIODS = {"daily": timedelta(days=1), "weekly": timedelta(weeks=1)}
# Slots are counted from a Monday midnight (UTC), so a weekly one has a fixed weekday.
_ANCHOR = datetime(1970, 1, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    user_id: str
    every: str
    # When the next automatic save is due (UTC, whole seconds).
    next_at: datetime


class ScheduleRepository(Protocol):
    """What the scheduling needs of the database (library.schedule_store has it)."""

    def get(self, user_id: str) -> Schedule | None: ...

    def put(self, schedule: Schedule, now: datetime) -> None: ...

    def delete(self, user_id: str) -> None: ...

    def due(self, now: datetime, limit: int) -> list[Schedule]: ...

    def move(self, schedule: Schedule, next_at: datetime, now: datetime) -> bool: ...


def parse_every(value: str | None) -> str | None:
    """`daily`, `weekly`, or None (no automatic saves); InvalidArgument for anything else."""
    if value is None:
        return None
    if value not in PERIODS:
        raise errors.InvalidArgument(
            f"every must be one of: {', '.join(PERIODS)}, or null (no automatic saves)"
        )
    return value


def offset(user_id: str, every: str) -> timedelta:
    """Where in the period the user's runs fall: stable for a user (a hash of the id, not
    Python's per-process `hash`), spread evenly over users."""
    seconds = int(PERIODS[every].total_seconds())
    digest = hashlib.sha256(f"tapedeck-schedule:{user_id}".encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % seconds)


def next_run(user_id: str, every: str, after: datetime) -> datetime:
    """The user's first slot strictly after `after`."""
    period = PERIODS[every]
    first = _ANCHOR + offset(user_id, every)
    passed = (after - first) // period
    return first + (passed + 1) * period


class Schedules:
    """Each user's automatic saves, and starting those due. `start(user_id)` starts an
    incremental save of every kind (SaveRuns.start), raising SaveRunning when one runs."""

    def __init__(
        self,
        repo: ScheduleRepository,
        start: Callable[[str], object],
        clock: Callable[[], datetime],
        *,
        batch: int = 50,
    ) -> None:
        """`batch`: the most saves one pass starts; the rest are started by the next passes
        (a scheduler back after a long stop does not queue every user's save at once)."""
        self._repo = repo
        self._start = start
        self._clock = clock
        self._batch = batch

    def get(self, user_id: str) -> Schedule | None:
        errors.required(user_id, "user_id")
        return self._repo.get(user_id)

    def set(self, user_id: str, every: str | None) -> Schedule | None:
        """Turns the user's automatic saves on (`daily`, `weekly`) or off (None). Asking
        again for what is already set keeps the next run where it was."""
        errors.required(user_id, "user_id")
        every = parse_every(every)
        if every is None:
            self._repo.delete(user_id)
            return None
        current = self._repo.get(user_id)
        if current is not None and current.every == every:
            return current
        now = self._clock()
        schedule = Schedule(user_id, every, next_run(user_id, every, now))
        self._repo.put(schedule, now)
        log.info("automatic saves set", extra={"every": every})
        return schedule

    def run_due(self) -> list[str]:
        """Starts the saves due now (at most `batch`); returns the users whose save started.
        Each due run is taken first, so another scheduler does not start it too."""
        now = self._clock()
        started = []
        for schedule in self._repo.due(now, self._batch):
            following = next_run(schedule.user_id, schedule.every, now)
            if not self._repo.move(schedule, following, now):
                continue  # another scheduler took it, or the user changed it
            try:
                self._start(schedule.user_id)
            except SaveRunning:
                log.info("scheduled save skipped: one is running", extra=_about(schedule))
                continue
            except errors.Unavailable:
                # This process is stopping: give the run back, for the next scheduler.
                self._repo.move(
                    Schedule(schedule.user_id, schedule.every, following), schedule.next_at, now
                )
                raise
            except Exception:  # one user's failure must not stop the others'
                log.exception("scheduled save not started", extra=_about(schedule))
                continue
            started.append(schedule.user_id)
            log.info("scheduled save started", extra=_about(schedule))
        return started


def _about(schedule: Schedule) -> dict[str, object]:
    return {"every": schedule.every, "due_at": schedule.next_at.isoformat()}


class Scheduler:
    """Runs Schedules.run_due on a thread of its own: at once when started (what came due
    while the service was down runs now), then every `interval_s`."""

    def __init__(self, schedules: Schedules, interval_s: float) -> None:
        self._schedules = schedules
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._schedules.run_due()
            except errors.Unavailable as exc:  # stopping: the run was given back
                log.warning("scheduled saves not started", extra={"code": exc.code})
            except Exception:  # the database may be away for a while: next time
                log.exception("scheduled saves not started")
            self._stopping.wait(self._interval_s)
