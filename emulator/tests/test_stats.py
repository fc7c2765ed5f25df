"""Request counters: exact, by route template, status and user, accounts apart."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from spotify_emulator import Emulator, Faults, LibrarySpec
from spotify_emulator.config import Hold


def test_paging_120_liked_songs_by_50_is_exactly_3_requests(make_emu: Any, client_for: Any) -> None:
    emu = make_emu(library=LibrarySpec(liked=120))
    client = client_for(emu)
    emu.reset_stats()
    assert len(client.all_pages("/me/tracks", limit=50)) == 120
    assert emu.stats() == {
        "total": 3,
        "by_route": {"GET /v1/me/tracks": 3},
        "by_status": {"200": 3},
        "by_user": {"alice": 3},
        "max_in_flight_by_user": {"alice": 1},
        "max_in_flight_by_route": {"GET /v1/me/tracks": 1},
        "accounts": {},
        "accounts_by_status": {},
        "holds": {"reached": 0, "timed_out": 0},
    }


def test_routes_are_counted_by_template(emu: Emulator, client: Any) -> None:
    pid = client.user.playlists_simplified()[0]["id"]
    album = client.user.saved_albums()[0]["album"]["id"]
    client.get("/me")
    client.get("/me/playlists")
    client.get(f"/playlists/{pid}")
    client.get(f"/playlists/{pid}/items")
    client.get(f"/playlists/{pid}/tracks")  # 404 in 2026 mode, still counted
    client.get(f"/albums/{album}/tracks")
    client.get("/me/following", type="artist")
    client.get("/no/such/route")
    stats = emu.stats()
    assert stats["by_route"] == {
        "GET /v1/me": 1,
        "GET /v1/me/playlists": 1,
        "GET /v1/playlists/{id}": 1,
        "GET /v1/playlists/{id}/items": 1,
        "GET /v1/playlists/{id}/tracks": 1,
        "GET /v1/albums/{id}/tracks": 1,
        "GET /v1/me/following": 1,
        "GET /v1/(unknown)": 1,
    }
    assert stats["total"] == 8
    assert stats["by_status"] == {"200": 6, "404": 2}


def test_users_and_accounts_are_counted_apart(emu: Emulator, client_for: Any) -> None:
    alice, bob = client_for(emu, "alice"), client_for(emu, "bob")
    alice.get("/me")
    bob.get("/me")
    bob.get("/me")
    requests.get(f"{emu.api_url}/me", timeout=5)  # no token: counted, but for nobody
    requests.post(f"{emu.accounts_url}/api/token", data={"grant_type": "refresh_token"}, timeout=5)
    requests.get(f"{emu.base_url}/_emulator/stats", timeout=5)  # admin: not counted
    stats = emu.stats()
    assert stats["total"] == 4
    assert stats["by_user"] == {"alice": 1, "bob": 2}
    assert stats["by_status"] == {"200": 3, "401": 1}
    assert stats["accounts"] == {"POST /api/token": 1}
    assert stats["accounts_by_status"] == {"400": 1}


def test_faulted_requests_are_counted_by_status(emu: Emulator, client: Any) -> None:
    emu.set_faults(Faults(rate_limit=(2, 60)))
    for _ in range(4):
        client.get("/me")
    assert emu.stats()["by_status"] == {"200": 2, "429": 2}
    emu.reset_stats()
    assert emu.stats()["total"] == 0 and emu.stats()["by_route"] == {}


def test_requests_in_flight_at_once_are_counted_per_user(make_emu: Any, client_for: Any) -> None:

    emu = make_emu(library=LibrarySpec(liked=10))
    # Five of alice's requests overlap (held until all five are in flight, however slowly
    # the threads start); bob's two go one after the other.
    emu.set_faults(Faults(hold=Hold(5, user="alice", route="GET /v1/me/tracks", timeout_s=30)))
    alice, bob = client_for(emu, "alice"), client_for(emu, "bob")
    emu.reset_stats()
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: client_for(emu, "alice").get("/me/tracks"), range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    alice.get("/me")
    bob.get("/me")
    bob.get("/me")
    stats = emu.stats()
    assert stats["holds"] == {"reached": 1, "timed_out": 0}
    assert stats["max_in_flight_by_user"] == {"alice": 5, "bob": 1}
    assert stats["max_in_flight_by_route"] == {"GET /v1/me/tracks": 5, "GET /v1/me": 1}
    emu.reset_stats()
    assert emu.stats()["max_in_flight_by_user"] == {}
    assert emu.stats()["max_in_flight_by_route"] == {}
