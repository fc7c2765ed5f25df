"""ls: every page of each kind, exactly as saved; a table's rows in a pipe; an empty kind
says why; an unknown playlist is a one-line error."""

from __future__ import annotations

from typing import Any

from tapedeck_cli.exits import Exit
from teststack.stack import Stack

USER = "tapedeck-demo"
Cli = Any


def _without_tapedeck(playlists: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in p.items() if k != "tapedeck"} for p in playlists]


def test_every_kind_is_listed_whole_across_pages(
    logged_in: Cli, stack: Stack, api: Any, one_line_error: Any
) -> None:
    # Before any save: empty, and the notice says why (on stderr, stdout stays empty).
    empty = logged_in.ok("ls", "tracks")
    assert empty.stdout == ""
    assert empty.stderr.strip()

    logged_in.ok("save", "--wait")
    truth = stack.emulator.user(USER)
    playlists = logged_in.json("ls", "playlists")
    assert _without_tapedeck(playlists) == truth.playlists_simplified()
    assert logged_in.json("ls", "tracks") == truth.saved_tracks()
    assert logged_in.json("ls", "albums") == truth.saved_albums()
    assert logged_in.json("ls", "artists") == truth.followed_artists()

    # The 130-item playlist takes two pages of 100.
    longest = max(playlists, key=lambda p: p["tapedeck"]["items_saved"])
    assert longest["tapedeck"]["items_saved"] > 100
    items = logged_in.json("ls", "tracks", "--playlist", longest["id"])
    assert items == truth.playlist_items(longest["id"])
    assert len(logged_in.json("ls", "tracks", "--playlist", longest["id"], "--limit", "101")) == 101

    # In a pipe: one tab-separated line per playlist, names whole (a line break in one
    # becomes a space, so that a row stays a line).
    lines = logged_in.ok("ls", "playlists").stdout.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [
        [p["id"], p["name"].replace("\n", " ")] for p in playlists
    ]

    # Refused: one line on stderr, nothing on stdout (not even the start of a JSON array).
    line = one_line_error(
        logged_in("ls", "tracks", "--playlist", "nosuchplaylist", "--json"), Exit.FAILED
    )
    assert "404" in line
