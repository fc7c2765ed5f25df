"""The retention rule on its own (no database): parsing TAPEDECK_RETENTION, checking a
rule's parts, and which saves a rule keeps beyond its counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kit import errors
from kit.settings import load_settings
from library.retention import Rule, kept, parse_rule, rule_of
from library.saves import KIND_SUCCEEDED, KindRun, Save
from library.settings import LibrarySettings

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)  # a Monday


def _save(
    n: int,
    at: datetime,
    status: str = "succeeded",
    kinds: tuple[str, ...] = ("playlists", "tracks"),
    completed: tuple[str, ...] | None = None,
) -> Save:
    done = kinds if completed is None else completed
    return Save(
        id=f"s{n:02d}",
        user_id="u",
        status=status,
        kinds=kinds,
        full=False,
        created_at=at,
        started_at=at,
        finished_at=at,
        runs={k: KindRun(k, status=KIND_SUCCEEDED if k in done else "failed") for k in kinds},
        error=None,
    )


def test_the_settings_form_parses_and_unnamed_parts_are_zero() -> None:
    assert parse_rule("last=10,daily=14,weekly=8,monthly=24") == Rule(10, 14, 8, 24)
    assert parse_rule(" daily = 3 ") == Rule(0, 3, 0, 0)
    for bad in ("", "last", "last=x", "last=-1", "last=1001", "hourly=2", "last=1,last=2"):
        with pytest.raises(ValueError):
            parse_rule(bad)


def test_a_bad_retention_setting_stops_start_up_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAPEDECK_RETENTION", "last=ten")
    with pytest.raises(SystemExit) as stopped:
        load_settings(LibrarySettings)
    assert "TAPEDECK_RETENTION" in str(stopped.value)
    monkeypatch.setenv("TAPEDECK_RETENTION", "last=3,monthly=6")
    assert load_settings(LibrarySettings).retention_rule == Rule(3, 0, 0, 6)


def test_a_rules_parts_are_whole_numbers_from_0_to_1000() -> None:
    default = Rule(10, 14, 8, 24)
    assert rule_of({"last": 0, "monthly": 1000}, default) == Rule(0, 14, 8, 1000)
    bad: list[dict[str, object]] = [
        {"last": -1},
        {"daily": 1001},
        {"weekly": True},
        {"x": 1},
        {"last": 1.0},
    ]
    for values in bad:
        with pytest.raises(errors.InvalidArgument):
            rule_of(values, default)


def test_the_newest_of_each_day_week_and_month_with_a_save_is_kept() -> None:
    saves = [
        _save(1, T0),
        _save(2, T0 + timedelta(hours=1)),  # same day as 1: newer, kept by daily
        _save(3, T0 + timedelta(days=1)),
        _save(4, T0 + timedelta(days=8)),  # the next week
        _save(5, T0 + timedelta(days=40)),  # the next month; newest
    ]
    assert kept(saves, Rule(1, 0, 0, 0)) == {"s05"}
    assert kept(saves, Rule(0, 3, 0, 0)) == {"s05", "s04", "s03"}
    assert kept(saves, Rule(0, 10, 0, 0)) == {"s05", "s04", "s03", "s02"}
    assert kept(saves, Rule(0, 0, 3, 0)) == {"s05", "s04", "s03"}
    assert kept(saves, Rule(0, 0, 0, 2)) == {"s05", "s04"}  # 4 is March's newest
    assert kept(saves, Rule(0, 0, 0, 0)) == {"s05"}  # the newest of each kind, always


def test_running_saves_the_newest_of_each_kind_and_recent_failures_stay() -> None:
    saves = [
        _save(1, T0, kinds=("playlists", "tracks", "albums", "artists")),
        _save(2, T0 + timedelta(days=1), kinds=("tracks",)),
        _save(3, T0 + timedelta(days=2), status="partial", completed=("tracks",)),
        _save(4, T0 + timedelta(days=3), status="failed", completed=()),  # older than 5
        _save(5, T0 + timedelta(days=4), kinds=("tracks",)),
        _save(6, T0 + timedelta(days=5), status="failed", completed=()),  # newest: stays
        _save(7, T0 + timedelta(days=6), status="running", completed=()),
    ]
    # s01 is the newest with playlists, albums, artists (s03 did not complete playlists).
    assert kept(saves, Rule(1, 0, 0, 0)) == {"s01", "s05", "s06", "s07"}
