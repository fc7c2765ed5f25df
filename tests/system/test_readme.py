"""The README's walkthrough ("The first hour") works as pasted.

Every ```sh block of README.md just below a `<!-- readme-test -->` line is run, in order, in
one `bash -euo pipefail` session (so `$TOKEN`, `$ID` and the rest carry over from block to
block), against `python -m launcher` started as `make run` starts it, in demo mode, on free
ports and a throwaway data dir. The session runs in a directory laid out like the repo's
root (`.venv/` and `var/`), so the README's relative paths work unchanged; its
`http://127.0.0.1:8000` and `:8090` are rewritten to the launched ports. Then the test checks
what a person would see: both saves succeeded, the diff names the songs the emulator liked
and the playlist it changed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kit.settings import SERVICES
from launcher.testing import LauncherRun, Launchers

README = Path(__file__).resolve().parents[2] / "README.md"
MARK = "<!-- readme-test -->"
BLOCK = re.compile(r"^<!-- readme-test -->\n```sh\n(.*?)^```$", re.MULTILINE | re.DOTALL)
SEPARATOR = "@@ readme block {} @@"
SESSION_TIMEOUT_S = 240
USER = "tapedeck-demo"


def walkthrough_blocks(text: str) -> list[str]:
    blocks: list[str] = BLOCK.findall(text)
    assert len(blocks) == text.count(MARK), (
        f"every {MARK} line must be followed at once by a ```sh fence"
    )
    return blocks


def for_launch(block: str, run: LauncherRun) -> str:
    """The block with the default ports replaced by the launched ones."""
    emulator = f"http://127.0.0.1:{run.env['TAPEDECK_DEMO_EMULATOR_PORT']}"
    rewritten = block.replace("http://127.0.0.1:8000", run.url).replace(
        "http://127.0.0.1:8090", emulator
    )
    # Anything left would reach a developer's own `make run`, not the launched one.
    leftover = re.search(r"localhost|:8000\b|:8090\b", rewritten)
    assert leftover is None, f"a README command names {leftover.group()}: {block}"
    return rewritten


def json_documents(text: str) -> list[Any]:
    """Every JSON value printed from the start of a line (curl's raw answers and
    `python3 -m json.tool`'s indented ones alike)."""
    decoder = json.JSONDecoder()
    found: list[Any] = []
    end = 0
    for start in re.finditer(r"^[{\[]", text, re.MULTILINE):
        if start.start() < end:
            continue
        try:
            doc, end = decoder.raw_decode(text, start.start())
        except json.JSONDecodeError:
            continue
        found.append(doc)
    return found


def events(text: str, name: str) -> list[dict[str, Any]]:
    """The data of every SSE event called `name`."""
    pattern = rf"^event: {name}\ndata: (.*)$"
    return [json.loads(data) for data in re.findall(pattern, text, re.MULTILINE)]


def test_the_readme_opening_shows_make_run_and_make_test() -> None:
    opening = README.read_text().splitlines()[:40]
    assert any(line.startswith("make run") for line in opening)
    assert any(line.startswith("make test") for line in opening)


def _session(blocks: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    script = cwd / "walkthrough.sh"
    script.write_text(
        "".join(
            f"printf '\\n%s\\n' '{SEPARATOR.format(i)}'\n{block}\n"
            for i, block in enumerate(blocks)
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    return subprocess.run(
        ["bash", "-euo", "pipefail", str(script)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=SESSION_TIMEOUT_S,
        check=False,
    )


@pytest.mark.timeout(420)
def test_the_readme_walkthrough_runs_as_pasted(launchers: Launchers, tmp_path: Path) -> None:
    blocks = walkthrough_blocks(README.read_text())
    assert len(blocks) >= 5, blocks
    run = launchers.start(launchers.environment())
    run.wait_ready()
    # The repo's root as the walkthrough sees it: its virtualenv, and `var/` as the data dir.
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".venv").symlink_to(Path(sys.prefix))
    (root / "var").symlink_to(run.data_dir)

    started = time.monotonic()
    done = _session([for_launch(b, run) for b in blocks], root)
    took = time.monotonic() - started
    # What each block printed, by block.
    printed = re.split(r"^@@ readme block \d+ @@$", done.stdout, flags=re.MULTILINE)[1:]
    assert done.returncode == 0, (
        f"block {len(printed) - 1} exited {done.returncode} after {took:.1f} s:\n"
        f"{blocks[len(printed) - 1] if printed else ''}\n"
        f"--- stdout (end) ---\n{done.stdout[-3000:]}\n--- stderr ---\n{done.stderr[-3000:]}"
    )
    assert len(printed) == len(blocks)
    out = done.stdout
    docs = [d for d in json_documents(out) if isinstance(d, dict)]

    # 1. Every service serving, every process running.
    assert {"status": "ok"}.items() <= next(d for d in docs if "services" in d).items()
    status = {line.split()[0]: line.split()[1] for line in out.splitlines() if "pid " in line}
    for program in (*SERVICES, "gateway", "emulator"):
        assert status.get(program) == "RUNNING", out

    # 2. The login's token is the demo user's.
    assert any(d.get("id") == USER and "display_name" in d for d in docs), out

    # 3 and 5. Two saves, each followed to its end; both succeeded, the second incremental.
    first, second = events(out, "done")
    assert first["status"] == second["status"] == "succeeded", (first, second)
    assert first["counts"] == {"playlists": 25, "tracks": 300, "albums": 60, "artists": 80}
    assert second["spotify_requests"] < first["spotify_requests"], (first, second)

    # 4. The reads: the first playlist's page, its items, Liked Songs.
    pages = [d for d in docs if "items" in d and "total" in d]
    assert pages[0]["total"] == 25
    changed_playlist = pages[0]["items"][0]["id"]
    assert all(page["items"] for page in pages), pages

    # 5. The emulator liked some songs; the second save and the diff have them.
    liked = next(d["changed"] for d in docs if "changed" in d and isinstance(d["changed"], list))
    assert liked
    assert second["counts"]["tracks"] == 300 + len(liked)
    diff = next(d for d in docs if {"from", "to", "tracks"} <= d.keys())
    assert (diff["from"], diff["to"]) == (first["id"], second["id"])
    assert set(liked) <= {track["id"] for track in diff["tracks"]["added"]}, diff["tracks"]
    assert [p["id"] for p in diff["playlists"]["changed"]] == [changed_playlist], diff
    assert diff["playlists"]["changed"][0]["tracks_added"], diff

    # 6. The library's log, as JSON lines.
    tail = next(i for i, block in enumerate(blocks) if "var/logs/library.log" in block)
    log_lines = printed[tail].strip().splitlines()
    assert log_lines and all(json.loads(line)["service"] == "library" for line in log_lines)
