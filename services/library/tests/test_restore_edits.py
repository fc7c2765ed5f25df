"""The fewest playlist writes: order and duplicates kept, fixed entries left alone."""

from __future__ import annotations

import random

import pytest

from library.restores.edits import Edits, apply, plan_edits


def uris(*names: str) -> list[str]:
    return [f"spotify:track:{n}" for n in names]


def test_equal_lists_need_no_write() -> None:
    assert plan_edits(uris("a", "b"), uris("a", "b")) == Edits()


def test_an_empty_playlist_is_filled_in_calls_of_100() -> None:
    wanted = uris(*(str(i) for i in range(250)))
    edits = plan_edits([], wanted)
    assert edits.requests == 3 and apply([], edits) == wanted


def test_two_added_and_one_removed_come_back_in_two_writes() -> None:
    saved = uris("a", "b", "c", "d", "e")
    changed = uris("a", "c", "d", "e", "x", "y")
    edits = plan_edits(changed, saved)
    assert edits.requests == 2
    assert edits.remove == tuple(uris("x", "y")) and edits.inserts[0].position == 1
    assert apply(changed, edits) == saved


def test_removing_one_copy_of_a_duplicate_puts_the_other_back() -> None:
    current = uris("a", "b", "a", "c")
    wanted = uris("a", "b", "c")
    edits = plan_edits(current, wanted)
    assert apply(current, edits) == wanted


def test_local_files_stay_where_they_are() -> None:
    local = "spotify:local:x:y:z:10"
    current = [uris("a")[0], local, None, *uris("b")]
    wanted = uris("a", "q", "b")
    edits = plan_edits(current, wanted)
    result = apply(current, edits)
    assert [u for u in result if u is not None and not u.startswith("spotify:local:")] == wanted
    assert local in result and None in result


def test_items_that_stay_are_not_written_even_when_a_rewrite_would_be_shorter() -> None:
    current = uris(*(f"t{i}" for i in range(50)))
    wanted = [*current[:10], *uris("new"), *current[10:]]
    edits = plan_edits(current, wanted)
    assert edits.remove == () and edits.added == 1 and edits.requests == 1


@pytest.mark.parametrize("seed", range(30))
def test_random_edits_always_reach_the_wanted_list(seed: int) -> None:
    r = random.Random(seed)
    pool = uris(*"abcdefgh")
    current = [r.choice(pool) for _ in range(r.randrange(0, 40))]
    wanted = [r.choice(pool) for _ in range(r.randrange(0, 40))]
    edits = plan_edits(current, wanted)
    assert apply(current, edits) == wanted
    # Never more items added than the wanted list holds.
    assert edits.added <= len(wanted)
