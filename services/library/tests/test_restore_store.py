"""The restores' and imports' storage, on SQLite and PostgreSQL: a restore and its targets
read back as written, each batch's progress lands with the restore's in one step, what a
stopped process left running is found to resume, and imports are each user's own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kit import errors
from kit.database import open_database
from library.restores.imports import ImportedPlaylist, Imports
from library.restores.model import CREATED, PLAYLIST, RUNNING, SUCCEEDED, Restore, Selection, Target
from library.restores.store import RestoreStore
from library.wiring import MIGRATIONS

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def restore(n: int, user: str = "u1", status: str = "queued") -> Restore:
    return Restore(
        id=f"{n:032x}",
        user_id=user,
        status=status,
        dry_run=False,
        mode="new",
        source_save="a" * 32,
        source_import="",
        selection=Selection(playlists=("p1", "p2"), liked=True),
        created_at=NOW + timedelta(seconds=n),
    )


def test_a_restore_and_its_batches_read_back_as_written(database_url: str) -> None:
    db = open_database(database_url, MIGRATIONS)
    store = RestoreStore(db)
    made = restore(1)
    store.add(made, [])
    assert store.get("u1", made.id) == made
    assert store.get("u2", made.id) is None  # another user's: not found
    made.status, made.started_at = RUNNING, NOW
    made.plan = {"playlists": [{"source_id": "p1", "add": 130}]}
    targets = [Target(0, PLAYLIST, "p1", total=130), Target(1, PLAYLIST, "p2", total=5)]
    store.add_targets(made, targets)
    targets[0].target_id, targets[0].state, targets[0].done = "new1", CREATED, 100
    made.done, made.total = 100, 135
    store.save_target(made.id, targets[0], made)
    assert store.targets(made.id) == targets
    assert store.get("u1", made.id) == made
    assert [r.id for r in store.active()] == [made.id]
    made.status = SUCCEEDED
    store.save(made)
    assert store.active() == []


def test_restores_page_newest_first_per_user(database_url: str) -> None:
    store = RestoreStore(open_database(database_url, MIGRATIONS))
    for n in range(5):
        store.add(restore(n), [])
    store.add(restore(9, user="u2"), [])
    page, total = store.page("u1", 1, 2)
    assert total == 5 and [r.id for r in page] == [f"{3:032x}", f"{2:032x}"]


def test_imports_are_their_users_and_become_sources(database_url: str) -> None:
    imports = Imports(open_database(database_url, MIGRATIONS))
    uris = [f"spotify:track:{'A' * 21}{n}" for n in range(3)]
    made = imports.create(
        "u1", "exportify", [ImportedPlaylist("", "Mine", "", [*uris, uris[0]], 2)], [], []
    )
    assert imports.get("u1", made.id).playlists[0].uris == [*uris, uris[0]]
    with pytest.raises(errors.NotFound):
        imports.get("u2", made.id)
    with pytest.raises(errors.NotFound):
        imports.delete("u2", made.id)
    pid = made.playlists[0].id
    source = imports.source("u1", made.id, Selection(playlists=(pid,)))
    (playlist,) = source.playlists
    assert playlist.uris == (*uris, uris[0]) and len(playlist.not_restorable) == 2
    with pytest.raises(errors.NotFound):
        imports.source("u1", made.id, Selection(playlists=("nope",)))
    with pytest.raises(errors.InvalidArgument):
        imports.create("u1", "exportify", [], [], [])
    imports.delete("u1", made.id)
    assert imports.page("u1", 0, 10) == ([], 0)
