"""The ledger in the library, on SQLite and PostgreSQL: events are written with their kind's
completion or not at all, once, take their save's finished time, are backfilled for older
saves, and read back newest first, filtered, and folded into the cumulative view."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from kit import errors
from kit.database import Database, open_database
from library.entities import Outcome
from library.ledger import Batch, Change, Event, EventQuery, Ledger, build_cumulative
from library.ledger_store import LedgerStore
from library.runs import SaveRuns
from library.saves import Save, finished, kind_completed, new_save, started
from library.store import LibraryStore
from library.wiring import MIGRATIONS

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class FakeChanges:
    """Changes between versions named "v1", "v2"...: each version adds the track of its
    number and removes the one before (playlist p1), so what was asked shows in the events."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str]] = []
        self.fail: errors.TapedeckError | None = None

    def changes(
        self, kind: str, user_id: str, from_version: str, to_version: str
    ) -> Iterator[Change]:
        self.asked.append((kind, from_version, to_version))
        if self.fail is not None:
            raise self.fail
        if from_version == to_version:
            return
        n = int(to_version.removeprefix("v").split("-")[0])
        if from_version:
            m = int(from_version.removeprefix("v").split("-")[0])
            yield Change("removed", "p1", f"t{m}", f"spotify:track:t{m}", f'{{"n":{m}}}', 1, 0)
        yield Change(
            "added",
            "p1",
            f"t{n}",
            f"spotify:track:t{n}",
            f'{{"n":{n}}}',
            1,
            0,
            added_at="2026-01-01T00:00:00Z",
        )


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url, MIGRATIONS)
    yield database
    database.dispose()


def _ledger(db: Database, source: FakeChanges) -> tuple[LibraryStore, LedgerStore, Ledger]:
    saves = LibraryStore(db)
    store = LedgerStore(db, saves)
    return saves, store, Ledger(source, store)


def _id(n: int) -> str:
    return f"{n:032x}"


def _saved(saves: LibraryStore, n: int, version: str, at: datetime, user: str = "u1") -> Save:
    save = started(new_save(_id(n), user, ("playlists",), False, at), at)
    assert saves.add(save) is None
    save = save.with_run(kind_completed(save.run("playlists"), Outcome(version, 1, 1)))
    save = finished(save, at + timedelta(seconds=5))
    saves.put(save)
    return save


def _count(db: Database, table: str) -> int:
    with db.read() as session:
        return int(session.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)


def test_events_are_written_with_the_completion_or_not_at_all(db: Database) -> None:
    saves, store, ledger = _ledger(db, FakeChanges())
    save = started(new_save(_id(1), "u1", ("playlists",), False, NOW), NOW)
    saves.add(save)
    completed = save.with_run(kind_completed(save.run("playlists"), Outcome("v1", 1, 1)))
    broken = Batch("u1", save.id, "playlists", "", NOW, [Change(None)])  # type: ignore[arg-type]
    with pytest.raises(sa.exc.IntegrityError):
        ledger.complete(completed, broken)
    assert saves.get("u1", save.id) == save  # the completion rolled back with the events
    assert _count(db, "ledger_events") == _count(db, "ledger_saves") == 0

    batch = ledger.batch("playlists", "u1", save.id, ("", ""), "v1", NOW)
    ledger.complete(completed, batch)
    assert saves.get("u1", save.id) == completed
    assert _count(db, "ledger_events") == 1
    # Once: the same save's kind written again (a retry, the backfill) adds nothing.
    assert store.write(batch) is False
    assert _count(db, "ledger_events") == 1
    # When the save ends, its events take its finished time.
    ended = finished(completed, NOW + timedelta(minutes=1))
    saves.put(ended)
    events, total = ledger.events(EventQuery("u1"), 0, 50)
    assert total == 1 and events[0].at == ended.finished_at


def test_older_saves_are_backfilled_once_against_the_kinds_previous_save(db: Database) -> None:
    source = FakeChanges()
    saves, _, ledger = _ledger(db, source)
    for n in (1, 2, 3):
        _saved(saves, n, f"v{n}", NOW + timedelta(days=n))
    _saved(saves, 9, "v9", NOW, user="u2")
    assert ledger.backfill() == 4
    assert sorted(source.asked) == sorted(
        [
            ("playlists", "", "v1"),
            ("playlists", "v1", "v2"),
            ("playlists", "v2", "v3"),
            ("playlists", "", "v9"),
        ]
    )
    assert ledger.backfill() == 0
    events, total = ledger.events(EventQuery("u1"), 0, 50)
    assert total == 5
    # Newest first: by save, and within a save the last written first.
    assert [(e.save_id, e.type, e.uri) for e in events] == [
        (_id(3), "added", "spotify:track:t3"),
        (_id(3), "removed", "spotify:track:t2"),
        (_id(2), "added", "spotify:track:t2"),
        (_id(2), "removed", "spotify:track:t1"),
        (_id(1), "added", "spotify:track:t1"),
    ]
    assert events[0].at == NOW + timedelta(days=3, seconds=5)


def test_reads_filter_by_type_kind_time_track_and_playlist(db: Database) -> None:
    saves, _, ledger = _ledger(db, FakeChanges())
    for n in (1, 2, 3):
        _saved(saves, n, f"v{n}", NOW + timedelta(days=n))
    ledger.backfill()

    def ids(**query: Any) -> list[tuple[str, str]]:
        events, _ = ledger.events(EventQuery("u1", **query), 0, 50)
        return [(e.save_id, e.type) for e in events]

    assert ids(types=("removed",)) == [(_id(3), "removed"), (_id(2), "removed")]
    assert ids(kind="tracks") == []
    assert ids(since=NOW + timedelta(days=2), until=NOW + timedelta(days=3)) == [
        (_id(2), "added"),
        (_id(2), "removed"),
    ]
    assert ids(track_uri="spotify:track:t2") == [(_id(3), "removed"), (_id(2), "added")]
    assert len(ids(playlist_id="p1")) == 5
    page, total = ledger.events(EventQuery("u1"), 3, 2)
    assert total == 5 and [e.save_id for e in page] == [_id(2), _id(1)]
    for query in (
        EventQuery("u1", playlist_id="nope"),
        EventQuery("u2", playlist_id="p1"),
        EventQuery("u1", track_uri="spotify:track:t9"),
    ):
        with pytest.raises(errors.NotFound):
            ledger.events(query, 0, 50)
    with pytest.raises(errors.InvalidArgument):
        ledger.events(EventQuery("u1", types=("exploded",)), 0, 50)


def test_the_cumulative_view_keeps_each_cycle(db: Database) -> None:
    saves, store, ledger = _ledger(db, FakeChanges())
    for n in (1, 2):
        _saved(saves, n, f"v{n}", NOW + timedelta(days=n))
    # Save 3 adds t1 again (a second cycle); save 4 changes nothing.
    third = _saved(saves, 3, "v1-again", NOW + timedelta(days=3))
    _saved(saves, 4, "v1-again", NOW + timedelta(days=4))
    ledger.backfill()
    at = {n: NOW + timedelta(days=n, seconds=5) for n in (1, 2, 3, 4)}
    page, total = ledger.cumulative("u1", "p1", 0, 50)
    rows = {r.uri: r for r in page}
    assert list(rows) == ["spotify:track:t1", "spotify:track:t2"] and total == 2
    second_page, _ = ledger.cumulative("u1", "p1", 1, 50)
    assert [r.uri for r in second_page] == ["spotify:track:t2"]
    assert second_page[0].item_json == '{"n":2}'
    t1, t2 = rows["spotify:track:t1"], rows["spotify:track:t2"]
    assert [(c.added, c.removed) for c in t1.cycles] == [(at[1], at[2]), (at[3], None)]
    assert (t1.present, t1.first_seen, t1.last_seen) == (True, at[1], at[4])
    assert [(c.added, c.removed) for c in t2.cycles] == [(at[2], at[3])]
    assert (t2.present, t2.last_seen) == (False, at[2])
    assert t1.item_json == '{"n":1}' and t1.added_at == "2026-01-01T00:00:00Z"
    assert third.id == _id(3)
    with pytest.raises(errors.NotFound):
        ledger.cumulative("u2", "p1", 0, 50)
    assert store.knows_playlist("u1", "p1")


def test_a_save_records_its_kinds_changes_and_fails_a_kind_whose_changes_cannot_be_told(
    db: Database, entities: Any
) -> None:
    source = FakeChanges()
    saves, _, ledger = _ledger(db, source)
    runs = SaveRuns(saves, _Versions(entities), write_interval_s=0.0, ledger=ledger)
    try:
        first = _run(runs, "u1")
        assert first.status == "succeeded"
        second = _run(runs, "u1")
        assert source.asked == [("playlists", "", "v1"), ("playlists", "v1", "v2")]
        events, _ = ledger.events(EventQuery("u1"), 0, 50)
        assert [(e.save_id, e.type) for e in events] == [
            (second.id, "added"),
            (second.id, "removed"),
            (first.id, "added"),
        ]
        assert events[0].at == second.finished_at
        source.fail = errors.Unavailable("down")
        third = _run(runs, "u1")
        assert third.status == "failed"
        assert third.run("playlists").error_code == "service_unavailable"
        assert ledger.events(EventQuery("u1"), 0, 50)[1] == 3
        # The next save compares with the last save that completed the kind.
        source.fail = None
        _run(runs, "u1")
        assert source.asked[-1] == ("playlists", "v2", "v4")
    finally:
        runs.close()


class _Versions:
    """The in-memory entities, each sync making version v1, v2, ... of the playlists."""

    def __init__(self, entities: Any) -> None:
        self._entities = entities
        self._n = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._entities, name)

    def sync(self, kind: str, order: Any, on_progress: Any) -> Outcome:
        self._n += 1
        return Outcome(f"v{self._n}", 1, 1)


def _run(runs: SaveRuns, user: str) -> Save:
    save = runs.start(user, ["playlists"], False)
    deadline = time.monotonic() + 5
    while not (save := runs.get(user, save.id)).ended:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return replace(save)


def test_the_folded_cumulative_view_follows_new_saves(db: Database) -> None:
    saves, _, ledger = _ledger(db, FakeChanges())
    _saved(saves, 1, "v1", NOW)
    ledger.backfill()
    before, _ = ledger.cumulative("u1", "p1", 0, 50)
    assert [(r.uri, r.present) for r in before] == [("spotify:track:t1", True)]
    # A save that changes the playlist, then one that changes nothing but is newer.
    _saved(saves, 2, "v2", NOW + timedelta(days=1))
    _saved(saves, 3, "v2", NOW + timedelta(days=2))
    ledger.backfill()
    after, _ = ledger.cumulative("u1", "p1", 0, 50)
    assert [(r.uri, r.present) for r in after] == [
        ("spotify:track:t1", False),
        ("spotify:track:t2", True),
    ]
    assert after[1].last_seen == NOW + timedelta(days=2, seconds=5)


def test_an_occurrence_added_while_there_keeps_its_one_stay() -> None:
    """What a save compared with nothing (its base version pruned first) tells: every item
    added again. The cumulative view does not invent a second stay."""

    def event(n: int, type_: str) -> Event:
        at = NOW + timedelta(days=n)
        return Event(n, _id(n), at, "playlists", type_, "p1", "spotify:track:a", None, 1, 0,
                     None, None, None, None, None)  # fmt: skip

    times = {_id(n): NOW + timedelta(days=n) for n in (1, 2, 3)}
    rows = build_cumulative(
        [event(1, "added"), event(2, "added"), event(3, "removed")],
        times,
        {_id(3): _id(2)},
        times[_id(3)],
    )
    assert [(c.added, c.removed) for c in rows[0].cycles] == [(times[_id(1)], times[_id(3)])]
    assert rows[0].last_seen == times[_id(2)]


def test_the_backfill_goes_past_a_save_whose_version_is_gone(db: Database) -> None:
    source = FakeChanges()
    saves, _, ledger = _ledger(db, source)
    _saved(saves, 1, "v1", NOW)
    _saved(saves, 2, "v2", NOW + timedelta(days=1))
    real = source.changes

    def pruned(kind: str, user_id: str, from_version: str, to_version: str) -> Iterator[Change]:
        if to_version == "v1":
            raise errors.NotFound("no such version")
        return real(kind, user_id, from_version, to_version)

    source.changes = pruned  # type: ignore[method-assign]
    assert ledger.backfill() == 1
    events, _ = ledger.events(EventQuery("u1"), 0, 50)
    assert {e.save_id for e in events} == {_id(2)}
