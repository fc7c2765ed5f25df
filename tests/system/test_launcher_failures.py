"""A process that cannot start stops `make run`: its last error line on the console, every
other process stopped, a non-zero exit, and no endless restarts, whether it fails as Tapedeck
starts or keeps failing once it is running."""

from __future__ import annotations

import os
import signal
import time

from launcher.testing import START_TIMEOUT_S, Launchers, alive


def test_a_process_that_cannot_start_stops_make_run_with_its_last_error_line(
    launchers: Launchers,
) -> None:
    # A valid setting (any text) that the auth service cannot use: it exits as it starts.
    run = launchers.start(launchers.environment() | {"TAPEDECK_JWT_PRIVATE_KEY": "not a PEM"})
    code = run.wait(timeout_s=START_TIMEOUT_S)
    assert code != 0
    failed = [line for line in run.stderr.splitlines() if "could not start" in line]
    assert len(failed) == 1, run.stderr
    assert failed[0].startswith("tapedeck: auth could not start:"), failed
    assert "PEM" in failed[0]  # cryptography's own words, from the auth log's last line
    assert str(run.data_dir / "logs" / "auth.log") in failed[0]
    spawned = run.spawned()
    # No loop: supervisord restarts at once a process that ran longer than startsecs before
    # failing (as it may on a loaded machine), and the launcher stops that one too.
    assert 1 <= list(spawned.values()).count("auth") <= 2, spawned
    assert "gateway" in spawned.values()
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in spawned) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [name for pid, name in spawned.items() if alive(pid)]


def test_a_process_that_keeps_exiting_once_ready_stops_make_run_with_its_last_error_line(
    launchers: Launchers,
) -> None:
    run = launchers.start(launchers.environment())
    run.wait_ready()
    # The signing key it generated at its first start, spoilt: every restart fails on it.
    (run.data_dir / "keys" / "jwt-ed25519.pem").write_text("not a PEM\n")
    os.kill(int(run.supervisorctl("pid", "auth").strip()), signal.SIGKILL)
    code = run.wait(timeout_s=START_TIMEOUT_S)
    assert code != 0
    assert "tapedeck: auth exited unexpectedly; supervisord restarts it:" in run.stderr
    given_up = [line for line in run.stderr.splitlines() if "keeps exiting" in line]
    assert len(given_up) == 1, run.stderr
    assert given_up[0].startswith("tapedeck: auth keeps exiting"), given_up
    assert "PEM" in given_up[0]
    spawned = run.spawned()
    assert list(spawned.values()).count("auth") <= 6, spawned
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in spawned) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [name for pid, name in spawned.items() if alive(pid)]
