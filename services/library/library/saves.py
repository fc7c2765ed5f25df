"""A save: one snapshot of a user's library, made of one run per kind. The state machine and
the rules that decide how a save ends; no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from library.entities import Outcome, Progress

QUEUED = "queued"
RUNNING = "running"
SUCCEEDED = "succeeded"
PARTIAL = "partial"
FAILED = "failed"

# A save the user still waits for; a user has at most one.
ACTIVE = (QUEUED, RUNNING)
# A save whose completed kinds are readable.
READABLE = (SUCCEEDED, PARTIAL)

# A kind's run within a save.
PENDING = "pending"
KIND_RUNNING = "running"
KIND_SUCCEEDED = "succeeded"
KIND_FAILED = "failed"

INTERRUPTED = "interrupted"
SYNC_FAILED = "sync_failed"

SAVE_ID = re.compile(r"[0-9a-f]{32}")


def is_save_id(value: str) -> bool:
    return SAVE_ID.fullmatch(value) is not None


@dataclass(frozen=True)
class SaveError:
    code: str
    message: str
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindRun:
    kind: str
    status: str = PENDING
    version: str = ""
    count: int = 0
    progress: Progress = Progress(0, None, 0)
    error_code: str = ""
    error_message: str = ""

    @property
    def completed(self) -> bool:
        return self.status == KIND_SUCCEEDED

    @property
    def ended(self) -> bool:
        return self.status in (KIND_SUCCEEDED, KIND_FAILED)


@dataclass(frozen=True)
class Save:
    id: str
    user_id: str
    status: str
    kinds: tuple[str, ...]
    full: bool
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    runs: dict[str, KindRun] = field(default_factory=dict)
    error: SaveError | None = None

    @property
    def ended(self) -> bool:
        return self.status not in ACTIVE

    @property
    def spotify_requests(self) -> int:
        return sum(run.progress.spotify_requests for run in self.runs.values())

    def run(self, kind: str) -> KindRun:
        return self.runs.get(kind) or KindRun(kind)

    def completed(self, kind: str) -> bool:
        """Whether this save holds a readable version of `kind`."""
        return self.status in READABLE and self.run(kind).completed

    def with_run(self, run: KindRun) -> Save:
        return replace(self, runs={**self.runs, run.kind: run})


def new_save(save_id: str, user_id: str, kinds: Iterable[str], full: bool, now: datetime) -> Save:
    chosen = tuple(kinds)
    return Save(
        id=save_id,
        user_id=user_id,
        status=QUEUED,
        kinds=chosen,
        full=full,
        created_at=now,
        runs={kind: KindRun(kind) for kind in chosen},
    )


def started(save: Save, now: datetime) -> Save:
    runs = {kind: replace(run, status=KIND_RUNNING) for kind, run in save.runs.items()}
    return replace(save, status=RUNNING, started_at=now, runs=runs)


def finished(save: Save, now: datetime) -> Save:
    """The save ended: succeeded when every kind completed, partial when some did, else failed."""
    runs = {
        kind: run if run.ended else _failed_run(run, INTERRUPTED, "the save ended before it")
        for kind, run in save.runs.items()
    }
    failed = tuple(kind for kind in save.kinds if not runs[kind].completed)
    codes = {runs[kind].error_code for kind in failed}
    code = codes.pop() if len(codes) == 1 else SYNC_FAILED
    return _ended(save, now, runs, failed, code, f"{len(failed)} of {len(save.kinds)} kinds failed")


def interrupted(save: Save, now: datetime) -> Save:
    """The save's process stopped before it ended. What its kinds completed stays: the save
    is partial (failed when no kind completed; succeeded should every kind have completed
    just before), and the kinds that did not complete are named, as interrupted."""
    runs = {
        kind: run
        if run.ended
        else _failed_run(run, INTERRUPTED, "the library service stopped during the save")
        for kind, run in save.runs.items()
    }
    failed = tuple(kind for kind in save.kinds if not runs[kind].completed)
    return _ended(
        save,
        now,
        runs,
        failed,
        INTERRUPTED,
        f"the library service stopped before the save ended; {len(failed)} of "
        f"{len(save.kinds)} kinds did not complete",
    )


def _ended(
    save: Save,
    now: datetime,
    runs: dict[str, KindRun],
    failed: tuple[str, ...],
    code: str,
    what: str,
) -> Save:
    if not failed:
        return replace(save, status=SUCCEEDED, finished_at=now, runs=runs, error=None)
    status = PARTIAL if len(failed) < len(save.kinds) else FAILED
    reasons = "; ".join(f"{kind}: {runs[kind].error_message}" for kind in failed)
    error = SaveError(code, f"{what} ({reasons})", failed)
    return replace(save, status=status, finished_at=now, runs=runs, error=error)


def _failed_run(run: KindRun, code: str, message: str) -> KindRun:
    return replace(run, status=KIND_FAILED, error_code=code, error_message=message)


def kind_progressed(run: KindRun, progress: Progress) -> KindRun:
    return replace(run, progress=progress)


def kind_completed(run: KindRun, outcome: Outcome) -> KindRun:
    # Progress of a completed kind is whole, whatever unit its service counts in.
    whole = outcome.count if run.progress.total is None else run.progress.total
    return replace(
        run,
        status=KIND_SUCCEEDED,
        version=outcome.version,
        count=outcome.count,
        progress=Progress(whole, whole, outcome.spotify_requests),
    )


def kind_failed(run: KindRun, code: str, message: str) -> KindRun:
    return _failed_run(run, code, message)
