"""`make run` says when Tapedeck is ready and what to do next, and a second `make run` on the
same data dir or ports is refused with one line while the first keeps serving."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from launcher.testing import LauncherRun, Launchers


@pytest.fixture(scope="module")
def first(launchers: Launchers) -> Iterator[LauncherRun]:
    run = launchers.start(launchers.environment())
    run.wait_ready()
    yield run


def _ready_text(run: LauncherRun) -> str:
    """The console from the ready line on, once the launcher has seen /readyz answer 200."""
    deadline = time.monotonic() + 10
    while "ready in" not in run.stderr:
        assert time.monotonic() < deadline, run.stderr
        time.sleep(0.1)
    return run.stderr[run.stderr.index("tapedeck: ready in") :]


def test_the_console_says_ready_with_the_url_how_to_log_in_the_logs_and_ctrl_c(
    first: LauncherRun,
) -> None:
    text = _ready_text(first)
    assert text.splitlines()[0].endswith(f" on {first.url}"), text
    assert f"{first.url}/auth/login" in text
    assert f"{first.data_dir / 'logs'}/" in text
    assert "Ctrl-C" in text
    assert first.stderr.count("tapedeck: ready in") == 1


def test_the_login_commands_on_the_console_give_a_token_me_accepts(first: LauncherRun) -> None:
    lines = _ready_text(first).splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("TOKEN=$(curl "))
    commands = "\n".join(line.strip() for line in lines[start : start + 2])
    assert commands.splitlines()[1].startswith('curl -H "Authorization: Bearer $TOKEN" ')
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    done = subprocess.run(
        ["bash", "-c", f"set -e -o pipefail\n{commands}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == "tapedeck-demo"


def _pids(run: LauncherRun) -> list[str]:
    return sorted(run.supervisorctl("pid", "all").split())


def test_a_second_make_run_on_the_same_data_dir_is_refused_and_the_first_keeps_serving(
    launchers: Launchers, first: LauncherRun
) -> None:
    before = _pids(first)
    conf = (first.data_dir / "run" / "supervisord.conf").read_bytes()
    second = launchers.start(dict(first.env))
    assert second.wait(timeout_s=20) != 0
    lines = second.stderr.splitlines()
    assert len(lines) == 1, second.stderr
    assert lines[0].startswith("tapedeck: another Tapedeck is already running on "), lines
    assert str(first.data_dir) in lines[0]
    assert str(first.process.pid) in lines[0]
    assert (first.data_dir / "run" / "supervisord.conf").read_bytes() == conf
    assert requests.get(f"{first.url}/readyz", timeout=10).status_code == 200
    assert _pids(first) == before
    assert first.process.poll() is None


def test_a_second_make_run_on_the_same_ports_is_refused_and_the_first_keeps_serving(
    launchers: Launchers, first: LauncherRun
) -> None:
    before = _pids(first)
    elsewhere = launchers.environment()["TAPEDECK_DATA_DIR"]
    second = launchers.start(first.env | {"TAPEDECK_DATA_DIR": elsewhere})
    assert second.wait(timeout_s=20) != 0
    lines = second.stderr.splitlines()
    assert len(lines) == 1, second.stderr
    port = first.env["TAPEDECK_HTTP_PORT"]
    assert lines[0].startswith(f"tapedeck: 127.0.0.1:{port} (the gateway"), lines
    assert "already in use" in lines[0]
    assert requests.get(f"{first.url}/readyz", timeout=10).status_code == 200
    assert _pids(first) == before


def test_ctrl_c_ends_make_run_with_status_0(first: LauncherRun) -> None:
    # Last in this module: it stops the shared launcher.
    assert first.stop() == 0
