"""A sync as a whole (collection.engine, sync, writer) over the in-memory Spotify: versions
made and reused, what a full sync refetches, what a failed sync leaves, and the checks on a
sync's request."""

from __future__ import annotations

from collections.abc import Generator
from typing import cast

import pytest
import sqlalchemy as sa

from collection.model import Outcome, Progress
from collection.testing import Boxes, Engine, FakeSpotify, Songs, serve_boxes, song
from kit import errors
from kit.database import Database
from kit.spotify.client import SpotifyRefused


def _rows(db: Database) -> dict[str, int]:
    with db.read() as session:
        return {
            table: int(session.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)
            for table in ("objects", "listings", "entries", "versions")
        }


def test_an_unchanged_list_reuses_the_base_version_after_its_first_page(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [song(n) for n in range(120)]
    spotify.offset_list("me/songs", songs)
    engine = Engine(Songs(), database, spotify)
    first = engine.sync()
    rows = _rows(database)
    again = engine.sync(base=first.version)
    assert again.version == first.version
    assert (again.count, again.spotify_requests) == (120, 1)
    assert spotify.last.pages("me/songs") == [(0, 50)]
    assert engine.items(again.version) == songs
    assert _rows(database) == rows


def test_a_new_item_first_makes_a_new_version_read_in_full(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [song(n) for n in range(120)]
    spotify.offset_list("me/songs", songs)
    engine = Engine(Songs(), database, spotify)
    first = engine.sync()
    spotify.offset_list("me/songs", [song(999), *songs])
    second = engine.sync(base=first.version)
    assert second.version != first.version
    assert second.count == 121 and second.spotify_requests == 3
    assert engine.items(second.version) == [song(999), *songs]
    # The earlier version reads as it was.
    assert engine.items(first.version) == songs


def test_an_item_removed_further_down_changes_the_total_and_is_read_in_full(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [song(n) for n in range(120)]
    spotify.offset_list("me/songs", songs)
    engine = Engine(Songs(), database, spotify)
    first = engine.sync()
    spotify.offset_list("me/songs", songs[:80] + songs[81:])
    second = engine.sync(base=first.version)
    assert second.spotify_requests == 3
    assert engine.items(second.version) == songs[:80] + songs[81:]
    comparison = engine.collection.compare("alice", first.version, second.version)
    assert [r.id for r in comparison.removed] == ["s80"] and comparison.added == []


def test_a_full_sync_refetches_an_unchanged_list_and_keeps_its_version(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [song(n) for n in range(120)]
    spotify.offset_list("me/songs", songs)
    engine = Engine(Songs(), database, spotify)
    first = engine.sync()
    rows = _rows(database)
    full = engine.sync(base=first.version, full=True)
    assert full.spotify_requests == 3
    assert full.version == first.version
    # Stored once: the same content takes no more rows.
    assert _rows(database) == rows


def test_an_unknown_base_version_syncs_in_full(database: Database, spotify: FakeSpotify) -> None:
    spotify.offset_list("me/songs", [song(n) for n in range(60)])
    engine = Engine(Songs(), database, spotify)
    first = engine.sync()
    assert engine.sync(base="0" * 32).spotify_requests == 2
    # Another user's version is unknown to this one.
    assert engine.sync(base=first.version, user="bob").spotify_requests == 2


def test_a_refused_page_fails_the_sync_and_leaves_nothing_staged(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [song(n) for n in range(120)]
    spotify.offset_list("me/songs", songs)
    engine = Engine(Songs(), database, spotify)
    first = engine.sync()
    rows = _rows(database)
    spotify.offset_list("me/songs", [song(999), *songs])
    spotify.fail("me/songs", SpotifyRefused(500, "Server error"), offset=100)
    with pytest.raises(errors.Unavailable, match="Spotify refused me/songs: 500 Server error"):
        engine.sync(base=first.version)
    assert engine.staged() == 0
    assert spotify.last.closed
    # Objects of the pages read stay (shared, content-addressed); listings, entries and
    # versions are as before.
    after = _rows(database)
    assert {k: after[k] for k in ("listings", "entries", "versions")} == {
        k: rows[k] for k in ("listings", "entries", "versions")
    }
    assert engine.items(first.version) == songs


def test_an_exception_in_a_child_task_fails_the_sync_and_leaves_nothing_staged(
    database: Database, spotify: FakeSpotify
) -> None:
    boxes = {"a": [song(n) for n in range(8)], "b": [song(n) for n in range(10, 18)]}
    serve_boxes(spotify, boxes)
    engine = Engine(Boxes(), database, spotify)
    first = engine.sync()
    spotify.fail("boxes/b/songs", RuntimeError("the fake broke"), offset=5)
    with pytest.raises(RuntimeError, match="the fake broke"):
        engine.sync(base=first.version)
    assert engine.staged() == 0
    assert engine.children(first.version, "b") == boxes["b"]


def test_a_cancelled_sync_ends_unavailable_and_leaves_nothing_staged(
    database: Database, spotify: FakeSpotify
) -> None:
    songs = [song(n) for n in range(120)]
    spotify.offset_list("me/songs", songs)
    engine = Engine(Songs(), database, spotify)
    first = engine.sync()
    spotify.offset_list("me/songs", [song(999), *songs])
    run = engine.collection.start_sync("alice", False, first.version)

    def cancel_at_the_last_page(path: str, params: dict[str, object]) -> None:
        if params.get("offset") == 100:
            run.cancel()  # what the servicer does when the caller goes away

    spotify.before = cancel_at_the_last_page
    with pytest.raises(errors.Unavailable, match="cancelled"):
        list(engine.collection.sync(run))
    assert engine.staged() == 0
    assert spotify.last.closed
    assert engine.items(first.version) == songs


def test_a_sync_whose_reader_stops_midway_leaves_nothing_staged(
    database: Database, spotify: FakeSpotify
) -> None:
    spotify.offset_list("me/songs", [song(n) for n in range(120)])
    engine = Engine(Songs(), database, spotify)
    run = engine.collection.start_sync("alice", False, "")
    # A generator, as the servicer iterates it (typed an Iterator).
    events = cast(Generator[Progress | Outcome, None, None], engine.collection.sync(run))
    for event in events:
        if isinstance(event, Progress) and event.done > 0:
            break
    assert _rows(database)["entries"] > 0
    events.close()
    assert engine.staged() == 0
    assert _rows(database)["versions"] == 0
    assert spotify.last.closed


def test_a_sync_that_fails_on_its_first_page_makes_no_version(
    database: Database, spotify: FakeSpotify
) -> None:
    spotify.fail("me/songs", SpotifyRefused(403, "Insufficient client scope"))
    engine = Engine(Songs(), database, spotify)
    with pytest.raises(errors.Unavailable, match="403 Insufficient client scope"):
        engine.sync()
    assert engine.staged() == 0
    assert _rows(database)["versions"] == 0


def test_a_child_listing_unchanged_between_syncs_is_shared_by_both_versions(
    database: Database, spotify: FakeSpotify
) -> None:
    boxes = {"a": [song(n) for n in range(8)], "b": [song(n) for n in range(10, 18)]}
    serve_boxes(spotify, boxes)
    engine = Engine(Boxes(), database, spotify)
    first = engine.sync()
    rows = _rows(database)
    # This entity reads every box each time: the same content is the same version.
    again = engine.sync(base=first.version)
    assert again.version == first.version
    assert again.spotify_requests == first.spotify_requests == 1 + 2 + 2
    assert _rows(database) == rows
    serve_boxes(spotify, {**boxes, "b": boxes["b"][:-1]})
    third = engine.sync(base=first.version)
    assert third.version != first.version
    assert engine.children(third.version, "a") == boxes["a"]
    assert engine.children(third.version, "b") == boxes["b"][:-1]
    assert engine.children(first.version, "b") == boxes["b"]


def test_the_same_collection_of_two_users_is_one_version_each_can_read_alone(
    database: Database, spotify: FakeSpotify
) -> None:
    spotify.offset_list("me/songs", [song(1), song(2)])
    engine = Engine(Songs(), database, spotify)
    alice = engine.sync()
    bob = engine.sync(user="bob")
    assert bob.version == alice.version
    assert engine.items(bob.version, user="bob") == [song(1), song(2)]
    with pytest.raises(errors.NotFound):
        engine.items(alice.version, user="carol")


def test_a_sync_gets_a_client_of_its_own_bounded_as_asked_and_closed_after(
    database: Database, spotify: FakeSpotify
) -> None:
    spotify.offset_list("me/songs", [song(1)])
    engine = Engine(Songs(), database, spotify)
    run = engine.collection.start_sync("alice", False, "", concurrency=3)
    assert spotify.last.concurrency == 3 and not spotify.last.closed
    list(engine.collection.sync(run))
    assert spotify.last.closed
    with pytest.raises(errors.InvalidArgument):
        engine.collection.start_sync("alice", False, "", concurrency=-1)
    with pytest.raises(errors.InvalidArgument):
        engine.collection.start_sync("", False, "")


def test_changing_the_concurrency_of_a_save_needs_it_running(
    database: Database, spotify: FakeSpotify
) -> None:
    engine = Engine(Songs(), database, spotify)
    with pytest.raises(errors.NotFound):
        engine.collection.set_concurrency("alice", "save-1", 2)
    with pytest.raises(errors.InvalidArgument):
        engine.collection.set_concurrency("alice", "save-1", 0)
    with pytest.raises(errors.InvalidArgument):
        engine.collection.set_concurrency("alice", "", 2)
