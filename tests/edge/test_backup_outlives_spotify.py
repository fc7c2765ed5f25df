"""A backup outlives the Spotify login: once Spotify stops accepting a user's refresh token
(the app's access removed, the account closed), what Tapedeck saved stays readable with the
same token, with a personal access token and after logging in with a recovery code; only
starting a save is refused."""

from __future__ import annotations

import time
from typing import Any

import requests
from teststack.stack import Stack

USER = "tapedeck-demo"


def _flag(api: Any) -> bool:
    me = api.get("/api/v1/me")
    assert me.status_code == 200, me.text
    lost: bool = me.json()["tapedeck"]["spotify_authorization_lost"]
    return lost


def test_what_was_saved_stays_readable_after_spotify_refuses_the_login(
    stack: Stack, api: Any, library_equals: Any
) -> None:
    stack.gateway.wait_synced()
    truth = stack.emulator.user(USER)
    assert api.save()["status"] == "succeeded"
    created = api.post("/api/v1/tokens", {"name": "cron", "expires_in_days": None})
    assert created.status_code == 201, created.text
    personal = type(api)(stack.url, created.json()["token"])
    codes = api.post("/api/v1/recovery-codes").json()["codes"]
    assert _flag(api) is False

    stack.emulator.revoke_refresh_tokens(USER)
    stack.emulator.expire_access_tokens(USER)
    refused = api.save()
    assert refused["status"] == "failed"
    assert refused["error"]["code"] == "spotify_authorization_lost"

    # The auth service marked the user; the gateway learns it from its stream.
    deadline = time.monotonic() + 5
    while not _flag(api):
        assert time.monotonic() < deadline, "/me never reported the lost authorization"
        time.sleep(0.05)
    again = api.post("/api/v1/library/saves", {"kinds": ["tracks"]})
    assert again.status_code == 401, again.text
    assert again.json()["error"]["code"] == "spotify_authorization_lost"

    recovered = requests.post(f"{stack.url}/auth/recovery", json={"code": codes[0]}, timeout=10)
    assert recovered.status_code == 200, recovered.text
    assert recovered.json()["user"]["id"] == USER
    by_code = type(api)(stack.url, recovered.json()["token"])

    for client in (api, personal, by_code):
        library_equals(client, truth)
        assert _flag(client) is True
        history = client.get("/api/v1/library/saves")
        assert history.status_code == 200
        assert [save["status"] for save in history.json()["items"]] == ["failed", "succeeded"]
        refused_save = client.post("/api/v1/library/saves")
        assert refused_save.status_code == 401
        assert refused_save.json()["error"]["code"] == "spotify_authorization_lost"
