"""The library's metrics as saves run: started, running, ended by status, and durations."""

from __future__ import annotations

import threading
import time
from typing import Any

from prometheus_client import CollectorRegistry

from kit import errors
from kit.metrics import new_registry
from library.metrics import SaveMetrics
from library.runs import SaveRuns
from library.saves import Save
from library.store import LibraryStore


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    value = registry.get_sample_value(name, labels)
    assert value is not None, f"{name}{labels} is not exported"
    return value


def _until(condition: Any, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        time.sleep(0.01)


def _ended(runs: SaveRuns, user_id: str, save_id: str) -> Save:
    _until(lambda: runs.get(user_id, save_id).ended)
    return runs.get(user_id, save_id)


def test_saves_are_counted_as_they_start_run_and_end(store: LibraryStore, entities: Any) -> None:
    registry = new_registry()
    runs = SaveRuns(store, entities, write_interval_s=0.0, events=SaveMetrics(registry))
    try:
        # Every status is exported before any save ends.
        for status in ("succeeded", "partial", "failed"):
            assert _value(registry, "tapedeck_saves_finished_total", status=status) == 0
        assert _value(registry, "tapedeck_saves_started_total") == 0

        entities.gates["tracks"] = threading.Event()
        held = runs.start("u1", ["tracks"], False)
        _until(lambda: _value(registry, "tapedeck_saves_running") == 1)
        assert _value(registry, "tapedeck_saves_started_total") == 1
        entities.gates["tracks"].set()
        assert _ended(runs, "u1", held.id).status == "succeeded"

        entities.failures["albums"] = errors.Unavailable("down")
        assert _ended(runs, "u1", runs.start("u1", [], False).id).status == "partial"

        assert _value(registry, "tapedeck_saves_started_total") == 2
        assert _value(registry, "tapedeck_saves_running") == 0
        assert _value(registry, "tapedeck_saves_finished_total", status="succeeded") == 1
        assert _value(registry, "tapedeck_saves_finished_total", status="partial") == 1
        assert _value(registry, "tapedeck_saves_finished_total", status="failed") == 0
        for status in ("succeeded", "partial"):
            assert _value(registry, "tapedeck_save_duration_seconds_count", status=status) == 1
        # The held save ran for as long as it was held, at least.
        assert _value(registry, "tapedeck_save_duration_seconds_sum", status="succeeded") > 0
        assert _value(registry, "process_cpu_seconds_total") > 0  # the process's own, too
    finally:
        runs.close()


def test_a_save_interrupted_by_the_stop_is_counted_as_it_ended(
    store: LibraryStore, entities: Any
) -> None:
    registry = new_registry()
    runs = SaveRuns(store, entities, write_interval_s=0.0, events=SaveMetrics(registry))
    entities.gates["artists"] = threading.Event()
    save = runs.start("u1", [], False)
    _until(lambda: sum(run.completed for run in runs.get("u1", save.id).runs.values()) == 3)
    runs.close()
    assert _value(registry, "tapedeck_saves_finished_total", status="partial") == 1
    assert _value(registry, "tapedeck_saves_running") == 0
