"""The web app in a real browser: Debian's Chromium, headless, driven by playwright-core
(web/e2e/run.mjs) against the processes exactly as `make run` starts them (demo mode with
the bundled emulator) and the app `make run` builds. One browser session walks what a
person does: log in, save everything and watch it to the end, open the playlists and the
largest one's tracks, export a CSV, change a playlist in the emulator and see the change,
queue a playlist's downloads and play, save and remove one,
read Liked Songs, albums and artists, filter, use it 360 px wide and by keyboard, lose the
token and land home, log out. Each screen gets an axe-core check and screenshots, kept in
docs/screenshots/ for the README.

Outside CI a machine without Node.js, the built app or Chromium skips this with the reason;
under CI=true (where .ci/run installs Chromium and `make test` builds the app) it must run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from teststack.audio import AudioServer

from launcher.testing import LauncherRun, Launchers

# Starting nine processes and walking the app takes 20-30 s on an idle 2-core machine; the
# margin is for a loaded one (the whole fixture runs inside the first test's time).
pytestmark = pytest.mark.timeout(420)

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
DIST = WEB / "dist"
SCREENSHOTS = ROOT / "docs" / "screenshots"
SCREENS = {
    "home",
    "saves",
    "playlists",
    "playlist",
    "changes",
    "liked",
    "albums",
    "artists",
    "downloads",
    "history",
    "restore",
    "track history",
}
CHROMIUM = os.environ.get("TAPEDECK_CHROMIUM", "/usr/bin/chromium")


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "Node.js is not installed (the web app cannot be built or driven)"
    if not (WEB / "node_modules" / "playwright-core").is_dir():
        return "web/node_modules is missing: run `make web` (npm ci and the build)"
    if not (DIST / "index.html").is_file():
        return "the web app is not built: run `make web`"
    if not Path(CHROMIUM).is_file():
        return f"Chromium is not at {CHROMIUM}: apt-get install chromium (.ci/run does)"
    return None


def _wait_ready(run: LauncherRun, timeout_s: float) -> None:
    """`/readyz` answers 200. Unlike LauncherRun.wait_ready, a slow answer (a loaded
    machine) is waited out too, not only a refused connection."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert run.process.poll() is None, f"the launcher exited: {run.stderr}"
        try:
            if requests.get(f"{run.url}/readyz", timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise AssertionError(f"not ready in {timeout_s}s: {run.stderr}")


@pytest.fixture(scope="module")
def browser_run(launchers: Launchers, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser tests must run under CI: {missing}")
        pytest.skip(missing)
    # Downloads come from a local server of real audio (the `url` source), never the internet.
    audio = AudioServer().start()
    env = launchers.environment()
    env["TAPEDECK_WEB_DIR"] = str(DIST)
    env["TAPEDECK_DOWNLOAD_SOURCE"] = "url"
    env["TAPEDECK_DOWNLOAD_URL_TEMPLATE"] = f"{audio.url}/{{track_id}}.wav"
    run = launchers.start(env)
    _wait_ready(run, timeout_s=240)
    report_path = tmp_path_factory.mktemp("e2e") / "report.json"
    done = subprocess.run(
        ["node", str(WEB / "e2e" / "run.mjs")],
        cwd=WEB,
        env={
            **os.environ,
            "TAPEDECK_URL": run.url,
            "EMULATOR_URL": run.emulator_url,
            "CHROMIUM": CHROMIUM,
            "SCREENSHOTS": str(SCREENSHOTS),
            "REPORT": str(report_path),
        },
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    audio.stop()
    report: dict[str, Any] = json.loads(report_path.read_text()) if report_path.exists() else {}
    report["exit"] = done.returncode
    report["output"] = done.stdout + done.stderr
    return report


def test_a_person_logs_in_saves_browses_exports_sees_changes_and_logs_out(
    browser_run: dict[str, Any],
) -> None:
    assert browser_run["exit"] == 0, browser_run["output"]
    names = [step["name"] for step in browser_run["steps"]]
    assert "save everything, watching each kind's progress to the end" in names
    assert (
        "the emulator changes a playlist; Update saves it; Changes and its history show it" in names
    )
    assert "queue a playlist's downloads; play, save and remove one" in names
    assert names[-1] == "log in again and log out"
    assert browser_run["csv"]["rows"] > 0


def test_no_screen_has_serious_or_critical_accessibility_violations(
    browser_run: dict[str, Any],
) -> None:
    audited = {name: v for name, v in browser_run["accessibility"].items() if "(all)" not in name}
    assert set(audited) >= SCREENS, browser_run["output"]
    assert {name: v for name, v in audited.items() if v} == {}


def test_the_app_logs_no_console_errors(browser_run: dict[str, Any]) -> None:
    assert browser_run["console"] == [], browser_run["output"]


def test_nothing_overflows_at_360_px_and_screenshots_are_taken(
    browser_run: dict[str, Any],
) -> None:
    assert browser_run["overflow"], browser_run["output"]
    for screen, widths in browser_run["overflow"].items():
        assert widths["page"] <= widths["window"] == 360, screen
    for name in ("playlists-desktop", "playlist-desktop", "playlists-mobile", "saves-desktop"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 1000, name
