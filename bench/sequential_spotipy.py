"""The plain loop a user would write by hand with spotipy: every page of the library, one
request after another, following `next`. Stores nothing. The library-save benchmark compares
Tapedeck's save with it.

    fetch_library("http://127.0.0.1:8099/v1", access_token)
"""

from __future__ import annotations

from typing import Any

import spotipy

PAGE = 50


def _rest(sp: spotipy.Spotify, page: dict[str, Any] | None) -> None:
    while page:
        page = sp.next(page)


def fetch_library(api_url: str, token: str) -> None:
    sp = spotipy.Spotify(auth=token, requests_timeout=60)
    sp.prefix = api_url.rstrip("/") + "/"

    page = sp.current_user_playlists(limit=PAGE)
    while page:
        for simple in page["items"]:
            playlist = sp.playlist(simple["id"], additional_types=("track", "episode"))
            first = playlist["items"]  # the first 100 items; None when Spotify withholds them
            if first is not None and first["next"]:
                start = first["offset"] + len(first["items"])
                _rest(sp, sp.playlist_items(simple["id"], limit=PAGE, offset=start))
        page = sp.next(page)

    _rest(sp, sp.current_user_saved_tracks(limit=PAGE))

    page = sp.current_user_saved_albums(limit=PAGE)
    while page:
        for saved in page["items"]:
            tracks = saved["album"]["tracks"]
            if tracks["next"]:
                start = tracks["offset"] + len(tracks["items"])
                _rest(sp, sp.album_tracks(saved["album"]["id"], limit=PAGE, offset=start))
        page = sp.next(page)

    artists: dict[str, Any] | None = sp.current_user_followed_artists(limit=PAGE)["artists"]
    while artists:
        following = sp.next(artists)
        artists = following["artists"] if following else None
