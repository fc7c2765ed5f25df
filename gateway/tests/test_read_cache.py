"""The read cache's rules (gateway.cache): when it may say which save reads resolve to, and
how its pages are bounded."""

from __future__ import annotations

from gateway.cache import LatestSaves, Pages


def _live() -> LatestSaves:
    latest = LatestSaves()
    latest.stream_up()
    return latest


def test_nothing_is_known_while_the_save_stream_is_down() -> None:
    latest = LatestSaves()
    latest.remember("u1", "tracks", "s1", latest.snapshot("u1"))
    assert latest.get("u1", "tracks") is None
    latest.stream_up()
    latest.remember("u1", "tracks", "s1", latest.snapshot("u1"))
    assert latest.get("u1", "tracks") == "s1"
    latest.stream_down()
    assert latest.get("u1", "tracks") is None


def test_a_change_of_a_users_save_drops_only_theirs() -> None:
    latest = _live()
    for user in ("u1", "u2"):
        latest.remember(user, "tracks", f"{user}-s1", latest.snapshot(user))
    latest.save_changed("u1", "s2", ended=True)
    assert latest.get("u1", "tracks") is None
    assert latest.get("u2", "tracks") == "u2-s1"


def test_a_read_that_began_before_a_change_is_not_remembered() -> None:
    latest = _live()
    before = latest.snapshot("u1")
    latest.save_changed("u1", "s2", ended=True)
    latest.remember("u1", "tracks", "s1", before)
    assert latest.get("u1", "tracks") is None
    # Nor one that began before the stream broke and came back.
    before = latest.snapshot("u1")
    latest.stream_down()
    latest.stream_up()
    latest.remember("u1", "tracks", "s1", before)
    assert latest.get("u1", "tracks") is None


def test_while_a_save_is_under_way_the_library_is_asked() -> None:
    latest = _live()
    latest.save_changed("u1", "s2", ended=False)
    latest.remember("u1", "tracks", "s1", latest.snapshot("u1"))
    assert latest.get("u1", "tracks") is None
    latest.save_changed("u1", "s2", ended=True)
    latest.remember("u1", "tracks", "s2", latest.snapshot("u1"))
    assert latest.get("u1", "tracks") == "s2"


def test_pages_are_bounded_by_bytes_least_recently_used_first() -> None:
    pages = Pages(max_bytes=10)
    pages.keep("a", b"1234")
    pages.keep("b", b"1234")
    assert pages.get("a") == b"1234"  # now the most recently used
    pages.keep("c", b"1234")
    assert pages.get("b") is None
    assert pages.get("a") == b"1234" and pages.get("c") == b"1234"
    assert pages.bytes == 8
    pages.keep("huge", b"x" * 11)
    assert pages.get("huge") is None


def test_a_save_end_a_client_sees_first_drops_the_users_answer_once() -> None:
    latest = _live()
    latest.remember("u1", "tracks", "s1", latest.snapshot("u1"))
    latest.seen("u1", "s2", ended=True)  # polled before the stream told it
    assert latest.get("u1", "tracks") is None
    latest.remember("u1", "tracks", "s2", latest.snapshot("u1"))
    latest.seen("u1", "s2", ended=True)  # polled again: nothing new
    assert latest.get("u1", "tracks") == "s2"
