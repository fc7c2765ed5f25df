"""The app's limits as Spotify counts them: a rolling window over every user's requests whose
429 says how long until its oldest request leaves, and a developer account's quota whose
429 says QUOTA_EXCEEDED for the rest of its period. Both set through the admin API too."""

from __future__ import annotations

import time
from typing import Any

import requests

from spotify_emulator import Emulator, Faults


def test_the_window_counts_every_user_and_says_when_its_oldest_request_leaves(
    emu: Emulator, client: Any, client_for: Any
) -> None:
    other = client_for(emu, "bob")
    emu.set_faults(Faults(rate_limit=(3, 4.0), window_retry_after=True, retry_after_s=99))
    assert [client.get("/me").status_code, other.get("/me").status_code] == [200, 200]
    assert client.get("/me").status_code == 200
    refused = other.get("/me")
    assert refused.status_code == 429
    assert refused.json()["error"]["message"] == "API rate limit exceeded"
    # The window's oldest request leaves it within 4 s: not the fixed 99.
    assert 1 <= int(refused.headers["Retry-After"]) <= 4


def test_the_quota_answers_quota_exceeded_until_its_period_ends(
    emu: Emulator, client: Any, client_for: Any
) -> None:
    other = client_for(emu, "bob")
    emu.set_faults(Faults(quota=(3, 3600.0)))
    assert [c.get("/me").status_code for c in (client, other, client)] == [200, 200, 200]
    for who in (client, other):
        refused = who.get("/me")
        assert refused.status_code == 429
        assert refused.json() == {"error": {"status": 429, "message": "QUOTA_EXCEEDED"}}
        # Hours, not seconds: the rest of the period.
        assert 3590 <= int(refused.headers["Retry-After"]) <= 3600
    assert emu.stats()["by_status"] == {"200": 3, "429": 2}


def test_a_new_quota_period_starts_afresh(emu: Emulator, client: Any) -> None:
    emu.set_faults(Faults(quota=(1, 0.5)))
    began = time.monotonic()
    assert client.get("/me").status_code == 200
    assert client.get("/me").status_code == 429
    time.sleep(max(0.0, began + 0.55 - time.monotonic()))
    assert client.get("/me").status_code == 200


def test_the_admin_api_sets_the_quota_and_refuses_a_malformed_one(emu: Emulator) -> None:
    url = f"{emu.base_url}/_emulator/faults"
    answer = requests.put(url, json={"quota": [5, 60], "window_retry_after": True}, timeout=5)
    assert answer.status_code == 200, answer.text
    assert emu.faults.quota == (5, 60.0) and emu.faults.window_retry_after
    bad = requests.put(url, json={"quota": [5]}, timeout=5)
    assert bad.status_code == 400
    assert emu.faults.quota == (5, 60.0)
