"""How a save ends, decided from its kinds' runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kit import errors
from library.entities import Outcome
from library.kinds import KINDS, chosen_kinds
from library.saves import (
    FAILED,
    INTERRUPTED,
    PARTIAL,
    SUCCEEDED,
    Save,
    finished,
    interrupted,
    is_save_id,
    kind_completed,
    kind_failed,
    new_save,
    started,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _running(kinds: tuple[str, ...] = KINDS) -> Save:
    return started(new_save("a" * 32, "u1", kinds, False, NOW), NOW)


def test_a_save_whose_every_kind_completed_succeeds() -> None:
    save = _running()
    for kind in KINDS:
        save = save.with_run(kind_completed(save.run(kind), Outcome(f"v-{kind}", 3, 2)))
    done = finished(save, NOW)
    assert done.status == SUCCEEDED
    assert done.error is None
    assert done.spotify_requests == 8
    assert all(done.completed(kind) for kind in KINDS)


def test_a_save_with_some_failed_kinds_is_partial_and_names_them() -> None:
    save = _running()
    for kind in ("playlists", "albums"):
        save = save.with_run(kind_completed(save.run(kind), Outcome("v", 1, 1)))
    for kind in ("tracks", "artists"):
        save = save.with_run(kind_failed(save.run(kind), "service_unavailable", "down"))
    done = finished(save, NOW)
    assert done.status == PARTIAL
    assert done.error is not None
    assert done.error.kinds == ("tracks", "artists")
    assert done.error.code == "service_unavailable"
    assert done.completed("playlists") and not done.completed("tracks")


def test_a_save_with_no_completed_kind_fails() -> None:
    save = _running(("tracks",))
    save = save.with_run(kind_failed(save.run("tracks"), "rate_limited", "slow down"))
    done = finished(save, NOW)
    assert done.status == FAILED
    assert done.error is not None and done.error.kinds == ("tracks",)
    assert not done.completed("tracks")


def test_kinds_failing_for_different_reasons_give_a_general_code() -> None:
    save = _running(("tracks", "albums"))
    save = save.with_run(kind_failed(save.run("tracks"), "rate_limited", "slow down"))
    save = save.with_run(kind_failed(save.run("albums"), "service_unavailable", "down"))
    done = finished(save, NOW)
    assert done.error is not None and done.error.code == "sync_failed"


def test_an_interrupted_save_keeps_the_kinds_it_completed_and_names_the_others() -> None:
    save = _running()
    for kind in ("playlists", "tracks", "albums"):
        save = save.with_run(kind_completed(save.run(kind), Outcome(f"v-{kind}", 2, 1)))
    done = interrupted(save, NOW)
    assert done.status == PARTIAL
    assert done.finished_at == NOW
    assert done.error is not None
    assert done.error.code == INTERRUPTED
    assert done.error.kinds == ("artists",)
    assert [kind for kind in KINDS if done.completed(kind)] == ["playlists", "tracks", "albums"]
    assert done.run("tracks").version == "v-tracks"
    assert done.run("artists").error_code == INTERRUPTED


def test_an_interrupted_save_names_a_kind_that_had_failed_before_too() -> None:
    save = _running(("tracks", "albums", "artists"))
    save = save.with_run(kind_completed(save.run("tracks"), Outcome("v", 1, 1)))
    save = save.with_run(kind_failed(save.run("albums"), "rate_limited", "slow down"))
    done = interrupted(save, NOW)
    assert done.status == PARTIAL
    assert done.error is not None and done.error.code == INTERRUPTED
    assert done.error.kinds == ("albums", "artists")
    assert done.run("albums").error_code == "rate_limited"  # its own reason is kept


def test_an_interrupted_save_with_no_completed_kind_fails() -> None:
    save = _running(("tracks", "albums"))
    save = save.with_run(kind_failed(save.run("albums"), "service_unavailable", "down"))
    for before in (save, new_save("b" * 32, "u1", KINDS, False, NOW)):  # running, or queued
        done = interrupted(before, NOW)
        assert done.status == FAILED
        assert done.error is not None and done.error.code == INTERRUPTED
        assert done.error.kinds == before.kinds
        assert not any(done.completed(kind) for kind in before.kinds)


def test_a_save_interrupted_after_its_last_kind_completed_succeeded() -> None:
    save = _running(("tracks",))
    save = save.with_run(kind_completed(save.run("tracks"), Outcome("v", 1, 1)))
    done = interrupted(save, NOW)
    assert done.status == SUCCEEDED
    assert done.error is None


def test_no_kinds_means_every_kind_in_canonical_order() -> None:
    assert chosen_kinds([]) == KINDS
    assert chosen_kinds(["artists", "tracks", "tracks"]) == ("tracks", "artists")


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(errors.InvalidArgument):
        chosen_kinds(["tracks", "podcasts"])


@pytest.mark.parametrize(
    "value", ["", "x", "A" * 32, "../../etc/passwd", "a" * 31, "a" * 33, "a" * 5000]
)
def test_malformed_save_ids_are_recognised(value: str) -> None:
    assert not is_save_id(value)
