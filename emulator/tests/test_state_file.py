"""The state file: an emulator restarted on the same file knows the logins (codes, access and
refresh tokens, with their expiry) and the library changes the last one made."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from spotify_emulator import Emulator, EmulatorConfig, LibrarySpec
from spotify_emulator.__main__ import DATA_DIR_ENV, SECRET_ENV

CLIENT_ID, CLIENT_SECRET = "test-client", "test-secret"
REDIRECT = "http://127.0.0.1:8000/auth/callback"
USER = "alice"

Start = Callable[..., Emulator]


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "data" / "emulator" / "state.json"


@pytest.fixture
def start(state_file: Path) -> Iterator[Start]:
    """start(**config) -> an emulator on a free port keeping its state in `state_file`."""
    started: list[Emulator] = []

    def make(**config: Any) -> Emulator:
        values: dict[str, Any] = {
            "seed": 1,
            "library": LibrarySpec.tiny(),
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "state_file": state_file,
            **config,
        }
        emu = Emulator(EmulatorConfig(**values)).start(host="127.0.0.1", port=0)
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


def code_for(emu: Emulator, user: str = USER) -> str:
    query = {
        "client_id": CLIENT_ID, "response_type": "code", "redirect_uri": REDIRECT,
        "scope": "user-library-read user-follow-read", "emulator_user": user,
    }  # fmt: skip
    answer = requests.get(
        f"{emu.accounts_url}/authorize", params=query, allow_redirects=False, timeout=5
    )
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def token(emu: Emulator, **form: str) -> requests.Response:
    return requests.post(
        f"{emu.accounts_url}/api/token", data=form, auth=(CLIENT_ID, CLIENT_SECRET), timeout=5
    )


def redeem(emu: Emulator, code: str) -> dict[str, Any]:
    answer = token(emu, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def login(emu: Emulator, user: str = USER) -> dict[str, Any]:
    """The whole accounts flow, as Tapedeck's auth service goes through it."""
    return redeem(emu, code_for(emu, user))


def refresh(emu: Emulator, refresh_token: str) -> requests.Response:
    return token(emu, grant_type="refresh_token", refresh_token=refresh_token)


def get(emu: Emulator, access: str, path: str) -> requests.Response:
    url = path if path.startswith("http") else emu.api_url + path
    return requests.get(url, headers={"Authorization": f"Bearer {access}"}, timeout=5)


def every(emu: Emulator, access: str, path: str) -> list[Any]:
    """Every item of a paged list, over HTTP."""
    items: list[Any] = []
    url: str | None = path
    while url:
        page = get(emu, access, url).json()
        page = page.get("artists", page)  # /me/following wraps its page
        items += page["items"]
        url = page["next"]
    return items


def library(emu: Emulator, access: str) -> Any:
    """The user's whole library as the Web API serves it, wherever the emulator listens."""
    playlists = every(emu, access, "/me/playlists?limit=50")
    served = {
        "playlists": playlists,
        "items": {
            p["id"]: every(emu, access, f"/playlists/{p['id']}/items?limit=50")
            for p in playlists
            if p["owner"]["id"] == USER
        },
        "liked": every(emu, access, "/me/tracks?limit=50"),
        "albums": every(emu, access, "/me/albums?limit=50"),
        "artists": every(emu, access, "/me/following?type=artist&limit=50"),
    }
    # hrefs and cover URLs point at the emulator's own address.
    return json.loads(json.dumps(served).replace(emu.base_url, "http://emulator"))


def admin(emu: Emulator, path: str, body: dict[str, Any]) -> Any:
    answer = requests.post(f"{emu.base_url}/_emulator{path}", json=body, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def change_library(emu: Emulator) -> None:
    """Every kind of change the admin API makes, the way a test (or a user) makes them."""
    playlist = next(p for p in emu.user(USER).playlists_simplified() if p["owner"]["id"] == USER)
    admin(emu, f"/users/{USER}/playlists/{playlist['id']}/change", {"add": 3, "remove": 2})
    # Renamed, described, reordered with a second copy and a track added; another unfollowed.
    track = emu.user(USER).saved_tracks()[0]["track"]["uri"]
    edited: dict[str, Any] = {
        "name": "Renamed",
        "description": "described",
        "items": [1, 0, 0, track],
    }
    admin(emu, f"/users/{USER}/playlists/{playlist['id']}/edit", edited)
    other = next(p for p in emu.user(USER).playlists_simplified() if p["id"] != playlist["id"])
    admin(emu, f"/users/{USER}/playlists/{other['id']}/unfollow", {})
    for edit, n in [
        ("like-tracks", 4), ("unlike-tracks", 2), ("save-albums", 2), ("remove-albums", 1),
        ("follow-artists", 3), ("unfollow-artists", 1),
    ]:  # fmt: skip
        admin(emu, f"/users/{USER}/{edit}", {"n": n})


def test_a_restarted_emulator_knows_the_login_and_the_library_changes(start: Start) -> None:
    # The same changes in an emulator without a file: what the restarted one must serve.
    expected = Emulator(EmulatorConfig(seed=1, library=LibrarySpec.tiny())).start()
    unchanged = library(expected, expected.issue_token(USER)["access_token"])
    first = start()
    tokens = login(first)
    change_library(first)
    change_library(expected)
    changed = library(first, tokens["access_token"])
    assert changed == library(expected, expected.issue_token(USER)["access_token"]) != unchanged
    first.stop()

    second = start()
    # The access token still works, with its scopes, and so does the refresh token.
    assert get(second, tokens["access_token"], "/me").json()["id"] == USER
    assert library(second, tokens["access_token"]) == changed
    refreshed = refresh(second, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert get(second, refreshed.json()["access_token"], "/me/tracks").status_code == 200

    # Edits go on from where they were: further ones are what they would have been without
    # the restart, and they too survive the next one.
    change_library(second)
    change_library(expected)
    changed_again = library(second, tokens["access_token"])
    assert changed_again == library(expected, expected.issue_token(USER)["access_token"])
    assert changed_again != changed
    expected.stop()
    second.stop()
    assert library(start(), tokens["access_token"]) == changed_again


def test_the_file_is_private_and_holds_no_client_secret(start: Start, state_file: Path) -> None:
    emu = start()
    login(emu)
    assert state_file.stat().st_mode & 0o777 == 0o600
    assert state_file.parent.stat().st_mode & 0o777 == 0o700
    text = state_file.read_text()
    assert CLIENT_SECRET not in text
    assert json.loads(text)["users"] == [USER]
    # Written atomically: no temporary file left beside it.
    assert [p.name for p in state_file.parent.iterdir()] == ["state.json"]


def test_a_login_begun_before_a_restart_finishes_after_it(start: Start) -> None:
    first = start()
    code = code_for(first)
    first.stop()
    second = start()
    assert get(second, redeem(second, code)["access_token"], "/me").status_code == 200
    # ...and still only once.
    again = token(second, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.json()["error"] == "invalid_grant"


def test_expired_revoked_and_rotated_tokens_stay_so(start: Start) -> None:
    first = start(rotate_refresh_tokens=True)
    old = login(first)
    rotated = refresh(first, old["refresh_token"]).json()
    bob = login(first, "bob")
    assert first.expire_access_tokens(USER) == 2
    assert first.revoke_refresh_tokens("bob") == 1
    first.stop()

    second = start(rotate_refresh_tokens=True)
    expired = get(second, rotated["access_token"], "/me")
    assert expired.status_code == 401
    assert expired.json()["error"]["message"] == "The access token expired"
    assert refresh(second, old["refresh_token"]).json()["error"] == "invalid_grant"
    assert refresh(second, bob["refresh_token"]).json()["error"] == "invalid_grant"
    assert get(second, bob["access_token"], "/me").status_code == 200
    assert refresh(second, rotated["refresh_token"]).status_code == 200


def test_without_a_state_file_nothing_is_kept(tmp_path: Path) -> None:
    config = EmulatorConfig(seed=1, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with Emulator(config) as first:
        tokens = login(first)
    with Emulator(config) as second:
        assert get(second, tokens["access_token"], "/me").status_code == 401
        assert refresh(second, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_file_is_set_aside_and_the_emulator_starts_afresh(
    start: Start, state_file: Path
) -> None:
    state_file.parent.mkdir(parents=True)
    state_file.write_text("{not json")
    emu = start()
    assert (state_file.parent / "state.json.unreadable").read_text() == "{not json"
    tokens = login(emu)
    emu.stop()
    assert get(start(), tokens["access_token"], "/me").status_code == 200


def test_another_clients_file_is_neither_used_nor_overwritten(
    start: Start, state_file: Path
) -> None:
    first = start()
    tokens = login(first)
    first.stop()
    before = state_file.read_bytes()
    other = start(client_id="bench-client")
    other.issue_token(USER, "user-library-read")
    assert get(other, tokens["access_token"], "/me").status_code == 401
    other.stop()
    assert state_file.read_bytes() == before


def test_another_seed_keeps_the_logins_but_not_the_library_changes(start: Start) -> None:
    first = start()
    tokens = login(first)
    change_library(first)
    first.stop()
    second = start(seed=2)
    plain = Emulator(EmulatorConfig(seed=2, library=LibrarySpec.tiny()))
    assert get(second, tokens["access_token"], "/me").status_code == 200
    assert second.user(USER).summary() == plain.user(USER).summary()
    liked = [[t["track"]["id"] for t in e.user(USER).saved_tracks()] for e in (second, plain)]
    assert liked[0] == liked[1]


def _run(data_dir: Path, *args: str) -> tuple[subprocess.Popen[str], str]:
    """`python -m spotify_emulator` with TAPEDECK_DATA_DIR set, as `make run` starts it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    env |= {SECRET_ENV: CLIENT_SECRET, DATA_DIR_ENV: str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "spotify_emulator", "--port", "0", "--profile", "tiny",
         "--client-id", CLIENT_ID, *args],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    assert process.stdout is not None
    while "url" not in (line := json.loads(process.stdout.readline())):
        pass
    return process, str(line["url"])


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=20)
    assert process.returncode == 0


def test_the_command_line_keeps_its_state_below_tapedecks_data_dir(tmp_path: Path) -> None:
    process, url = _run(tmp_path)
    try:
        issued = requests.post(f"{url}/_emulator/users/{USER}/token", json={}, timeout=5).json()
        requests.post(f"{url}/_emulator/users/{USER}/like-tracks", json={"n": 2}, timeout=5)
    finally:
        _stop(process)
    assert (tmp_path / "emulator" / "state.json").stat().st_mode & 0o777 == 0o600

    process, url = _run(tmp_path)
    try:
        headers = {"Authorization": f"Bearer {issued['access_token']}"}
        assert requests.get(f"{url}/v1/me", headers=headers, timeout=5).status_code == 200
        form = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
        again = requests.post(
            f"{url}/api/token", data=form, auth=(CLIENT_ID, CLIENT_SECRET), timeout=5
        )
        assert again.status_code == 200
        summary = requests.get(f"{url}/_emulator/users/{USER}", timeout=5).json()
        assert summary["liked"] == LibrarySpec.tiny().liked + 2
    finally:
        _stop(process)

    # --no-state-file: memory only, whatever the environment says.
    process, url = _run(tmp_path, "--no-state-file")
    try:
        headers = {"Authorization": f"Bearer {issued['access_token']}"}
        assert requests.get(f"{url}/v1/me", headers=headers, timeout=5).status_code == 401
    finally:
        _stop(process)
