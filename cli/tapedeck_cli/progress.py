"""A live bar per kind while a save runs, fed by the save objects of its event stream."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from tapedeck_cli.output import stderr


class SaveProgress:
    """Bars on stderr, so stdout keeps only the result. Each kind's bar has no end until the
    server knows the kind's total (Spotify tells it with the first page)."""

    def __init__(self, enabled: bool = True) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<10}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=stderr(),
            disable=not enabled,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> SaveProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def show(self, save: dict[str, Any]) -> None:
        failed = set((save.get("error") or {}).get("kinds") or [])
        for kind in save.get("kinds", []):
            state = (save.get("progress") or {}).get(kind) or {}
            done = int(state.get("done") or 0)
            total = state.get("total")
            if kind in failed:
                status = "failed"
            elif total is not None and done >= total and kind in (save.get("counts") or {}):
                status = "done"
            else:
                status = save.get("status", "")
            if kind not in self._tasks:
                self._tasks[kind] = self._progress.add_task(kind, total=total, status=status)
            self._progress.update(self._tasks[kind], completed=done, total=total, status=status)
