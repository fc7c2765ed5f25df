"""Unmodified spotipy 2.26 against the emulator: the whole login, a refresh, and every list
paged in both modes, equal to the Python API's truth."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.oauth2 import SpotifyOAuth

from spotify_emulator import Emulator

SCOPES = "playlist-read-private playlist-read-collaborative user-library-read user-follow-read"


def oauth_for(emu: Emulator) -> SpotifyOAuth:
    oauth = SpotifyOAuth(
        client_id="test-client",
        client_secret="test-secret",
        redirect_uri="http://127.0.0.1:8000/auth/callback",
        scope=SCOPES,
        cache_handler=MemoryCacheHandler(),
        open_browser=False,
    )
    oauth.OAUTH_AUTHORIZE_URL = f"{emu.accounts_url}/authorize"
    oauth.OAUTH_TOKEN_URL = f"{emu.accounts_url}/api/token"
    return oauth


def login(emu: Emulator, user: str = "alice") -> tuple[SpotifyOAuth, dict[str, Any]]:
    oauth = oauth_for(emu)
    approved = requests.get(
        oauth.get_authorize_url(state="st-123"),
        params={"emulator_user": user},
        allow_redirects=False,
        timeout=10,
    )
    assert approved.status_code == 302
    location = urlsplit(approved.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == oauth.redirect_uri
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"]
    oauth.get_access_token(query["code"][0], as_dict=False, check_cache=False)
    info: dict[str, Any] = oauth.cache_handler.get_cached_token()
    return oauth, info


def client(emu: Emulator, token: str) -> spotipy.Spotify:
    sp = spotipy.Spotify(auth=token)
    sp.prefix = emu.api_url + "/"
    return sp


def every(sp: spotipy.Spotify, first: dict[str, Any]) -> list[Any]:
    items, page = list(first["items"]), first
    while page["next"]:
        page = sp.next(page)
        items += page["items"]
    return items


def same(a: Any, b: Any) -> bool:
    return json.loads(json.dumps(a)) == json.loads(json.dumps(b))


def test_the_login_gives_tokens_that_read_the_profile(emu: Emulator) -> None:
    _, info = login(emu)
    assert info["token_type"] == "Bearer"
    assert info["expires_in"] == 3600
    assert info["refresh_token"]
    sp = client(emu, info["access_token"])
    assert same(sp.me(), emu.user("alice").profile())
    assert sp.me()["id"] == "alice"


def test_refreshing_gives_a_new_access_token_and_keeps_the_refresh_token(emu: Emulator) -> None:
    oauth, info = login(emu)
    refreshed = oauth.refresh_access_token(info["refresh_token"])
    assert refreshed["access_token"] != info["access_token"]
    # Without rotation Spotify sends no refresh_token; spotipy keeps the old one.
    assert refreshed["refresh_token"] == info["refresh_token"]
    assert client(emu, refreshed["access_token"]).me()["id"] == "alice"
    again = oauth.refresh_access_token(info["refresh_token"])
    assert client(emu, again["access_token"]).me()["id"] == "alice"


@pytest.mark.parametrize("mode", ["2026", "legacy"])
def test_spotipy_reads_every_list_exactly_as_the_truth(make_emu: Any, mode: str) -> None:
    emu = make_emu(mode=mode)
    _, info = login(emu)
    sp = client(emu, info["access_token"])
    truth = emu.user("alice")

    playlists = every(sp, sp.current_user_playlists(limit=50))
    assert same(playlists, truth.playlists_simplified())
    read_some, withheld = 0, 0
    for summary in playlists:
        pid = summary["id"]
        assert same(sp.playlist(pid), truth.playlist(pid))
        if truth.items_withheld(pid):
            withheld += 1
            with pytest.raises(spotipy.SpotifyException) as refused:
                sp.playlist_items(pid)
            assert refused.value.http_status == 403
            continue
        limit = 50 if mode == "2026" else 100
        items = every(sp, sp.playlist_items(pid, limit=limit))
        assert same(items, truth.playlist_items(pid))
        key = "items" if mode == "2026" else "tracks"
        assert len(items) == summary[key]["total"]
        read_some += 1
        if mode == "legacy":
            # Extended-quota apps still have /tracks, with the same items.
            assert same(every(sp, sp._get(f"playlists/{pid}/tracks", limit=100)), items)
    assert read_some >= 5
    assert withheld == (1 if mode == "2026" else 0)

    assert same(every(sp, sp.current_user_saved_tracks(limit=50)), truth.saved_tracks())
    albums = every(sp, sp.current_user_saved_albums(limit=50))
    assert same(albums, truth.saved_albums())
    long_albums = [a["album"] for a in albums if a["album"]["total_tracks"] > 50]
    assert long_albums, "the tiny library has an album of more than 50 tracks"
    for album in long_albums:
        tracks = every(sp, sp.album_tracks(album["id"]))
        assert len(tracks) == album["total_tracks"]
        assert same(tracks, truth.album_tracks(album["id"]))
        assert same(album["tracks"]["items"], tracks[:50])

    followed, page = [], sp.current_user_followed_artists(limit=3)["artists"]
    followed += page["items"]
    while page["next"]:
        page = sp.next(page)["artists"]
        followed += page["items"]
    assert same(followed, truth.followed_artists())


def test_spotipy_sees_local_files_episodes_and_null_items(emu: Emulator) -> None:
    _, info = login(emu)
    sp = client(emu, info["access_token"])
    kinds: set[str] = set()
    for summary in every(sp, sp.current_user_playlists(limit=50)):
        if emu.user("alice").items_withheld(summary["id"]):
            continue
        for item in every(sp, sp.playlist_items(summary["id"])):
            obj = item["item"]
            assert "track" not in item
            kinds.add("null" if obj is None else "local" if item["is_local"] else obj["type"])
    assert kinds == {"null", "local", "episode", "track"}
