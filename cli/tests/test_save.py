"""save: a bar per kind fed by the save's event stream, exit 0 only when the save
succeeded, and a distinct exit code with the reason on one line when it did not."""

from __future__ import annotations

import re
import time
from typing import Any

from tapedeck_cli.exits import Exit
from teststack.stack import Stack

from spotify_emulator.config import Faults, Hold

USER = "tapedeck-demo"
Cli = Any
Api = Any


def test_save_wait_shows_every_kind_to_its_end_and_exits_0(
    logged_in: Cli, stack: Stack, api: Any
) -> None:
    truth = stack.emulator.user(USER).summary()
    ran = logged_in("save", "--wait")
    assert ran.returncode == 0, ran.stderr
    # The last state of each kind's bar: all of it done.
    for kind, total in (
        ("playlists", truth["playlists"]),
        ("tracks", truth["liked"]),
        ("albums", truth["albums"]),
        ("artists", truth["artists"]),
    ):
        assert re.search(rf"^{kind} .* {total}/{total} +done", ran.stderr, re.M), ran.stderr
    saved = re.search(r"Save ([0-9a-f]{32}) succeeded", ran.stderr)
    assert saved is not None, ran.stderr

    saves = logged_in.json("ls", "saves")
    assert [(s["id"], s["status"]) for s in saves] == [(saved[1], "succeeded")]
    assert api.get(f"/api/v1/library/saves/{saved[1]}").json()["status"] == "succeeded"

    # One kind, as a script: the final save object on stdout, no bars.
    final = logged_in.json("save", "--kinds", "tracks", "--wait")
    assert final["status"] == "succeeded"
    assert final["kinds"] == ["tracks"]
    assert final["counts"] == {"tracks": truth["liked"]}


def test_a_failed_save_exits_5_with_its_reason(
    logged_in: Cli, stack: Stack, api: Any, one_line_error: Any
) -> None:
    stack.emulator.revoke_refresh_tokens(USER)
    stack.emulator.expire_access_tokens(USER)
    ran = logged_in("save", "--wait", "--json")
    assert ran.returncode == Exit.SAVE_FAILED, ran.stderr
    assert "ended failed" in ran.stderr and "spotify_authorization_lost" in ran.stderr
    assert '"status": "failed"' in ran.stdout

    # Once the gateway knows, starting a save is refused: log in with Spotify again.
    deadline = time.monotonic() + 10
    while not api.get("/api/v1/me").json()["tapedeck"]["spotify_authorization_lost"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    line = one_line_error(logged_in("save"), Exit.NOT_LOGGED_IN)
    assert "Spotify" in line


def test_a_second_save_while_one_runs_is_refused_and_the_first_goes_on(
    logged_in: Cli, stack: Stack, api: Any, one_line_error: Any
) -> None:
    # Liked Songs are held at Spotify until released: the first save keeps running.
    stack.emulator.set_faults(Faults(hold=Hold(1000, route="GET /v1/me/tracks", timeout_s=60)))
    try:
        first = logged_in.ok("save", "--kinds", "tracks").stdout.strip()
        assert re.fullmatch(r"[0-9a-f]{32}", first)
        line = one_line_error(logged_in("save", "--kinds", "tracks"), Exit.FAILED)
        assert first in line and "already running" in line
    finally:
        stack.emulator.set_faults(Faults())
    deadline = time.monotonic() + 30
    while api.get(f"/api/v1/library/saves/{first}").json()["status"] != "succeeded":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert [s["id"] for s in api.get("/api/v1/library/saves").json()["items"]] == [first]


def test_unknown_kinds_are_bad_usage_and_start_nothing(logged_in: Cli, api: Any) -> None:
    ran = logged_in("save", "--kinds", "tracks,podcasts")
    assert ran.returncode == Exit.USAGE
    assert "podcasts" in ran.stderr
    assert api.get("/api/v1/library/saves").json()["total"] == 0
