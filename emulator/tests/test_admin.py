"""The admin HTTP API under /_emulator/, for processes that do not hold the Emulator."""

from __future__ import annotations

from typing import Any

import requests

from spotify_emulator import Emulator


def admin(emu: Emulator, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(method, f"{emu.base_url}/_emulator{path}", json=body, timeout=5)


def test_health(emu: Emulator) -> None:
    answer = admin(emu, "GET", "/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "mode": "2026", "api_url": emu.api_url}


def test_stats_and_reset(emu: Emulator, client: Any) -> None:
    client.get("/me")
    assert admin(emu, "GET", "/stats").json() == emu.stats()
    assert emu.stats()["total"] == 1
    assert admin(emu, "POST", "/stats/reset").status_code == 200
    assert emu.stats()["total"] == 0


def test_faults_over_http(emu: Emulator, client: Any) -> None:
    answer = admin(emu, "PUT", "/faults", {"rate_limit": [1, 60], "retry_after_s": 3})
    assert answer.status_code == 200
    assert answer.json()["rate_limit"] == [1, 60.0]
    assert [client.get("/me").status_code for _ in range(2)] == [200, 429]
    assert admin(emu, "GET", "/faults").json()["retry_after_s"] == 3
    admin(emu, "PUT", "/faults", {})
    assert client.get("/me").status_code == 200
    assert admin(emu, "PUT", "/faults", {"nonsense": 1}).status_code == 400


def test_mode_over_http(emu: Emulator, client: Any) -> None:
    assert admin(emu, "PUT", "/mode", {"mode": "legacy"}).json() == {"mode": "legacy"}
    assert "email" in client.json("/me")
    assert admin(emu, "PUT", "/mode", {"mode": "1999"}).status_code == 400
    assert admin(emu, "GET", "/mode").json() == {"mode": "legacy"}


def test_change_a_playlist_over_http(emu: Emulator, client: Any) -> None:
    playlist = client.user.playlists_simplified()[0]
    answer = admin(
        emu, "POST", f"/users/alice/playlists/{playlist['id']}/change", {"add": 3, "remove": 0}
    )
    assert answer.status_code == 200
    snapshot = answer.json()["snapshot_id"]
    now = client.json(f"/playlists/{playlist['id']}")
    assert now["snapshot_id"] == snapshot != playlist["snapshot_id"]
    assert now["items"]["total"] == playlist["items"]["total"] + 3
    assert admin(emu, "POST", "/users/alice/playlists/nope/change", {}).status_code == 404


def test_library_edits_over_http(emu: Emulator, client: Any) -> None:
    answer = admin(emu, "POST", "/users/alice/like-tracks", {"n": 2})
    assert answer.status_code == 200
    liked = answer.json()["changed"]
    assert [s["track"]["id"] for s in client.json("/me/tracks", limit=2)["items"]] == liked
    assert admin(emu, "POST", "/users/alice/juggle", {"n": 2}).status_code == 404
    summary = admin(emu, "GET", "/users/alice").json()
    assert summary["liked"] == 62 and len(summary["playlist_ids"]) == summary["playlists"]


def test_tokens_over_http(emu: Emulator) -> None:
    issued = admin(emu, "POST", "/users/carol/token", {}).json()
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    assert requests.get(f"{emu.api_url}/me", headers=headers, timeout=5).json()["id"] == "carol"
    assert admin(emu, "POST", "/expire-access-tokens", {"user_id": "carol"}).json() == {
        "expired": 1
    }
    assert requests.get(f"{emu.api_url}/me", headers=headers, timeout=5).status_code == 401
    assert admin(emu, "POST", "/users/carol/revoke-refresh-tokens").json() == {"revoked": 1}
    refused = requests.post(
        f"{emu.accounts_url}/api/token",
        data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]},
        auth=("test-client", "test-secret"),
        timeout=5,
    )
    assert refused.json()["error"] == "invalid_grant"
    assert admin(emu, "PUT", "/token-ttl", {"seconds": 60}).json() == {"seconds": 60}
    assert admin(emu, "POST", "/users/carol/token", {}).json()["expires_in"] == 60
    assert admin(emu, "POST", "/expire-access-tokens").status_code == 200


def test_unknown_admin_routes_are_404(emu: Emulator) -> None:
    assert admin(emu, "GET", "/nope").status_code == 404
