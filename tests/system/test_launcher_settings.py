"""A bad setting stops `make run` before any process starts: one line naming the variable,
a non-zero exit within seconds, and no process left to exit and be restarted forever."""

from __future__ import annotations

import time

import pytest

from launcher.testing import Launchers

# Each is read by some processes only: the launcher checks every process's settings.
BAD = [
    # the library and the four entity services (the loop of the issue)
    ("TAPEDECK_SPOTIFY_CONCURRENCY", "0"),
    # the entity services only
    ("TAPEDECK_SPOTIFY_PLAYLIST_ITEMS_PAGE_SIZE", "101"),
    # the library only
    ("TAPEDECK_PROGRESS_WRITE_INTERVAL_S", "-1"),
    # the auth service only
    ("TAPEDECK_JWT_TTL_S", "a week"),
    # the gateway only
    ("TAPEDECK_MAX_BODY_BYTES", "10"),
    # every process
    ("TAPEDECK_GRACE_S", "soon"),
    ("TAPEDECK_RPC_TIMEOUT_S", "0"),
    ("TAPEDECK_INTERNAL_TOKEN", ""),
    ("TAPEDECK_INTERNAL_TOKEN", "shorter-than-32-characters"),
    # the launcher itself
    ("TAPEDECK_DEMO_EMULATOR_PORT", "70000"),
]


@pytest.mark.parametrize(("variable", "value"), BAD)
def test_a_bad_setting_stops_make_run_at_once_with_one_line_naming_it(
    launchers: Launchers, variable: str, value: str
) -> None:
    run = launchers.start(launchers.environment() | {variable: value})
    code = run.wait(timeout_s=20)
    took = time.monotonic() - run.started
    assert code != 0
    assert took < 10, took
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"tapedeck: invalid {variable}:"), lines
    # Nothing was started, so nothing exits and is restarted.
    assert not (run.data_dir / "logs" / "supervisord.log").exists()
    assert not (run.data_dir / "run" / "supervisord.conf").exists()
    assert not list((run.data_dir / "logs").glob("*.log"))
