"""restore and download: a restore's dry run shows its plan, a real one asks for Spotify's
write permission first; downloads are queued and followed to their files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from tapedeck_cli.exits import Exit
from teststack.audio import AudioServer
from teststack.stack import Stack

from spotify_emulator import Emulator
from spotify_emulator.emulator import WRITE_SCOPES

Cli = Any
USER = "tapedeck-demo"


def login_with_write_scopes(gateway_url: str, user: str) -> str:
    """A token of `user`, who granted Spotify's write scopes at the consent (as the login
    address a refused restore names asks): the browser's steps, done with requests."""
    with requests.Session() as browser:
        start = browser.get(f"{gateway_url}/auth/login", allow_redirects=False, timeout=10)
        parts = urlsplit(start.headers["location"])
        query = parse_qs(parts.query)
        query["scope"] = [f"{query['scope'][0]} {WRITE_SCOPES}"]
        query["emulator_user"] = [user]
        approved = requests.get(
            urlunsplit(parts._replace(query=urlencode(query, doseq=True))),
            allow_redirects=False,
            timeout=10,
        )
        callback = urlsplit(approved.headers["location"])
        gateway = urlsplit(gateway_url)
        url = urlunsplit(callback._replace(scheme=gateway.scheme, netloc=gateway.netloc))
        answer = browser.get(url, headers={"Accept": "application/json"}, timeout=10)
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["token"]
    return token


@pytest.fixture
def audio() -> Iterator[AudioServer]:
    server = AudioServer().start()
    yield server
    server.stop()


@pytest.fixture
def stack(emulator: Emulator, tmp_path: Path, audio: AudioServer) -> Iterator[Stack]:
    """The stack with yt-dlp downloading from the local audio server (the `url` source)."""
    running = Stack.start(
        emulator,
        tmp_path,
        download_overrides={
            "download_url_template": audio.url + "/{track_id}.wav",
            "download_source": "url",
            "download_embedded_worker": True,
        },
    )
    yield running
    running.stop()


def test_a_restore_dry_run_plans_and_a_real_one_asks_for_write_permission(
    logged_in: Cli, api: Any, one_line_error: Any
) -> None:
    save = logged_in.json("save", "--wait")
    playlists = api.get("/api/v1/playlists").json()["items"]
    favourites = next(p for p in playlists if p["name"] == "Favourites")

    plan = logged_in.json(
        "restore", "--save", save["id"], "--playlist", favourites["id"], "--dry-run"
    )
    assert plan["dry_run"] is True
    [planned] = plan["plan"]["playlists"]
    assert (planned["source_id"], planned["action"]) == (favourites["id"], "create")
    assert planned["add"] + len(planned["not_restorable"]) == favourites["tapedeck"]["items_saved"]

    # The login gave Tapedeck read access only.
    line = one_line_error(logged_in("restore", "--all"), Exit.NOT_LOGGED_IN)
    assert "/auth/login?scope=restore" in line
    assert api.get("/api/v1/restores").json()["total"] == 1


def test_a_restore_is_followed_to_its_end(cli: Cli, stack: Stack) -> None:
    cli.env["TAPEDECK_TOKEN"] = login_with_write_scopes(stack.url, USER)
    cli.ok("save", "--kinds", "playlists", "--wait")
    user = stack.emulator.user(USER)
    before = user.playlists_simplified()
    favourites = next(p for p in before if p["name"] == "Favourites")

    ran = cli("restore", "--playlist", favourites["id"], "--wait")
    assert ran.returncode == 0, ran.stderr
    assert "succeeded" in ran.stderr
    after = user.playlists_simplified()
    [made] = [p for p in after if p["id"] not in {b["id"] for b in before}]
    assert made["name"] == "Favourites"
    assert [i.get("item") or i.get("track") for i in user.playlist_items(made["id"])] == [
        i.get("item") or i.get("track") for i in user.playlist_items(favourites["id"])
    ]


def test_downloads_are_followed_to_their_files(logged_in: Cli, api: Any, stack: Stack) -> None:
    logged_in.ok("save", "--kinds", "tracks", "--wait")
    liked = [saved["track"]["id"] for saved in api.get("/api/v1/tracks").json()["items"][:2]]

    ran = logged_in(
        "download", "--track", liked[0], "--track", f"spotify:track:{liked[1]}", "--wait"
    )
    assert ran.returncode == 0, ran.stderr
    assert "2/2" in ran.stderr
    jobs = api.get("/api/v1/downloads", limit=100).json()["items"]
    assert sorted(job["track_id"] for job in jobs) == sorted(liked)
    assert all(job["status"] == "succeeded" for job in jobs)
    for job in jobs:
        served = api.get(f"/api/v1/downloads/{job['id']}/file")
        assert served.status_code == 200 and served.content[:4] == b"RIFF"
    listed = logged_in.ok("ls", "downloads").stdout.splitlines()
    assert sorted(line.split("\t")[0] for line in listed) == sorted(job["id"] for job in jobs)

    # Asked again: nothing new is queued, the same jobs answer.
    again = logged_in.json("download", "--track", liked[1], "--track", liked[0])
    assert sorted(job["id"] for job in again["items"]) == sorted(job["id"] for job in jobs)
