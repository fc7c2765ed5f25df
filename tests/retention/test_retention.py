"""Retention through the gateway: 40 saves spread over simulated months (the library's clock
is the test's), a rule set with PUT, the saves it keeps (exactly those), the entity
databases shrinking once the others are pruned, every kept save reading back as the
emulator's library was when it was taken, and the ledger unchanged."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from teststack.stack import Stack

from spotify_emulator import Emulator

from .conftest import Api

KINDS = ["playlists", "tracks"]
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
END = START + timedelta(days=240)


class Clock:
    """The library's clock: the test sets the time each save is taken at."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stack(emulator: Emulator, tmp_path: Path, clock: Clock) -> Iterator[Stack]:
    running = Stack.start(emulator, tmp_path, clock=clock)
    yield running
    running.stop()


def _uri(item: dict[str, Any]) -> str:
    obj = item.get("item") or item.get("track") or {}
    return str(obj.get("uri") or "")


def _times() -> list[datetime]:
    """40 times over eight months: months apart at first, hours apart at the end, so every
    part of a rule has something to keep and something to drop."""
    return [END - timedelta(hours=3.7 * (39 - i) ** 2) for i in range(40)]


def _expected(saves: list[tuple[str, datetime]], rule: dict[str, int]) -> set[str]:
    """The rule, as its documentation says, over (id, time) pairs: the last N, then the
    newest of each of the most recent days, ISO weeks and months that have a save."""
    newest_first = sorted(saves, key=lambda s: s[1], reverse=True)
    keep = {sid for sid, _ in newest_first[: rule["last"]]}
    for part, bucket in (
        ("daily", lambda t: t.date()),
        ("weekly", lambda t: t.isocalendar()[:2]),
        ("monthly", lambda t: (t.year, t.month)),
    ):
        seen: list[object] = []
        for sid, at in newest_first:
            if bucket(at) not in seen and len(seen) < rule[part]:
                seen.append(bucket(at))
                keep.add(sid)
    return keep


def _bytes(stack: Stack, service: str) -> int:
    """The bytes a service's SQLite database holds in use (pages not on its free list): the
    file itself is given back to the system only when a large share is free (VACUUM)."""
    path = stack.database_urls[service].removeprefix("sqlite:///")
    with closing(sqlite3.connect(path)) as connection:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
        free = connection.execute("PRAGMA freelist_count").fetchone()[0]
        size = connection.execute("PRAGMA page_size").fetchone()[0]
    return int((pages - free) * size)


def _playlists(api: Api, save_id: str) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in p.items() if k != "tapedeck"}
        for p in api.all("/api/v1/playlists", save=save_id)
    ]


def test_forty_saves_over_months_keep_exactly_what_the_rule_says_and_shrink_storage(
    stack: Stack, api: Api, clock: Clock
) -> None:
    truth = stack.emulator.user("tapedeck-demo")
    pid = next(
        p
        for p in truth.playlist_ids()
        if not truth.items_withheld(p) and 3 <= len(truth.playlist_items(p)) <= 20
    )
    n = len(truth.playlist_items(pid))
    liked = [s["track"]["uri"] for s in truth.saved_tracks()]
    # Keep everything while the 40 saves are taken.
    everything = {"last": 1000, "daily": 0, "weekly": 0, "monthly": 0}
    assert api.session.put(f"{api.url}/api/v1/library/retention", json=everything).json() == (
        everything
    )

    taken: list[tuple[str, datetime]] = []
    seen: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {}
    for i, at in enumerate(_times()):
        # A new item each time (added now: a new object), the one before it gone.
        truth.edit_playlist(pid, items=[*range(n), liked[i % len(liked)]])
        clock.now = at
        save = api.save(KINDS)
        assert save["status"] == "succeeded", save
        assert datetime.fromisoformat(save["created_at"]) == at
        taken.append((save["id"], at))
        snapshot = [{k: v for k, v in p.items()} for p in truth.playlists_simplified()]
        seen[save["id"]] = (snapshot, truth.playlist_items(pid))
    assert {s["id"] for s in api.all("/api/v1/library/saves")} == {sid for sid, _ in taken}
    ledger_before = api.all("/api/v1/history")
    bytes_before = _bytes(stack, "playlist")

    rule = {"last": 3, "daily": 4, "weekly": 3, "monthly": 5}
    answer = api.session.put(f"{api.url}/api/v1/library/retention", json=rule)
    assert answer.status_code == 200 and answer.json() == rule
    assert api.get("/api/v1/library/retention").json() == rule
    # The rule applies at the next pruning: the next save's end.
    truth.edit_playlist(pid, items=list(range(n)))
    clock.now = END + timedelta(hours=1)
    last = api.save(KINDS)
    taken.append((last["id"], clock.now))
    seen[last["id"]] = (truth.playlists_simplified(), truth.playlist_items(pid))

    expected = _expected(taken, rule)
    assert 5 < len(expected) < 20
    assert {s["id"] for s in api.all("/api/v1/library/saves")} == expected
    # The databases shrink: the playlist service's loses the pruned saves' items (each a
    # new object of a few KB, and a listing) once its collection, which runs after the
    # save's end is told, is done.
    deadline = time.monotonic() + 30
    while _bytes(stack, "playlist") >= bytes_before - 20 * 1024:
        assert time.monotonic() < deadline, "the playlist database did not shrink"
        time.sleep(0.05)
    # Every kept save reads back as the library was when it was taken.
    for save_id in expected:
        playlists, items = seen[save_id]
        assert _playlists(api, save_id) == playlists
        assert api.all(f"/api/v1/playlists/{pid}/tracks", save=save_id) == items
    # A pruned save is gone.
    pruned = next(sid for sid, _ in taken if sid not in expected)
    assert api.get(f"/api/v1/library/saves/{pruned}").status_code == 404
    assert api.get("/api/v1/playlists", save=pruned).status_code == 404
    # The ledger answers as before: no event went.
    ledger_after = api.all("/api/v1/history")
    assert [e for e in ledger_after if e["save_id"] != last["id"]] == ledger_before


def test_the_periodic_pass_prunes_without_a_new_save(emulator: Emulator, tmp_path: Path) -> None:
    """The daily pass (here every 0.2 s) applies a rule changed since the last save."""
    running = Stack.start(emulator, tmp_path, retention_interval_s=0.2)
    try:
        api = Api(running.url, running.login())
        ids = [api.save(["artists"])["id"] for _ in range(3)]
        assert [s["id"] for s in api.all("/api/v1/library/saves")] == ids[::-1]
        answer = api.session.put(f"{api.url}/api/v1/library/retention", json={"last": 1})
        assert answer.status_code == 200
        deadline = time.monotonic() + 30
        while [s["id"] for s in api.all("/api/v1/library/saves")] != [ids[-1]]:
            assert time.monotonic() < deadline, "the periodic pass did not prune"
            time.sleep(0.05)
        assert api.get(f"/api/v1/library/saves/{ids[0]}").status_code == 404
    finally:
        running.stop()
