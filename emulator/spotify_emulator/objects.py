"""Catalog entities rendered as Spotify Web API objects. These look the same in both modes,
so they are cached; callers must never mutate what they get."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from spotify_emulator import ids
from spotify_emulator.catalog import EPISODES_PER_SHOW, Catalog
from spotify_emulator.encoding import Fragment, fragment, text
from spotify_emulator.links import Links, external
from spotify_emulator.paging import page

Json = dict[str, Any]

ALBUM_TRACKS_PAGE = 50  # an album object carries its first page of tracks at this size


class Objects:
    def __init__(self, catalog: Catalog, links: Links) -> None:
        self.catalog = catalog
        self.links = links
        self.markets = catalog.markets()
        self.artist_simple = lru_cache(maxsize=50_000)(self._artist_simple)
        self.artist = lru_cache(maxsize=10_000)(self._artist)
        self.album_simple = lru_cache(maxsize=50_000)(self._album_simple)
        self.track = lru_cache(maxsize=10_000)(self._track)
        self.track_simple = lru_cache(maxsize=10_000)(self._track_simple)
        self.episode = lru_cache(maxsize=5_000)(self._episode)
        # The same objects as encoded JSON, which is what the HTTP pages splice in.
        self.artist_raw = lru_cache(maxsize=10_000)(lambda i: fragment(self.artist(i)))
        self.track_raw = lru_cache(maxsize=40_000)(self._track_raw)
        self._album_simple_text = lru_cache(maxsize=20_000)(lambda i: text(self.album_simple(i)))
        self.track_simple_raw = lru_cache(maxsize=10_000)(lambda i: fragment(self.track_simple(i)))
        self.episode_raw = lru_cache(maxsize=5_000)(lambda i: fragment(self.episode(i)))
        self.album_raw = lru_cache(maxsize=5_000)(lambda i: fragment(self.album(i)))

    def _artist_simple(self, index: int) -> Json:
        a = self.catalog.artist(index)
        return {
            "external_urls": external("artist", a.id),
            "href": self.links.href("artist", a.id),
            "id": a.id,
            "name": a.name,
            "type": "artist",
            "uri": f"spotify:artist:{a.id}",
        }

    def _artist(self, index: int) -> Json:
        a = self.catalog.artist(index)
        return {
            "external_urls": external("artist", a.id),
            "followers": {"href": None, "total": a.followers},
            "genres": list(a.genres),
            "href": self.links.href("artist", a.id),
            "id": a.id,
            "images": self.links.images(
                ids.hex_key(self.catalog.seed, "artist-image", index), (640, 320, 160)
            )
            if a.has_image
            else [],
            "name": a.name,
            "popularity": a.popularity,
            "type": "artist",
            "uri": f"spotify:artist:{a.id}",
        }

    def _album_base(self, index: int) -> Json:
        a = self.catalog.album(index)
        return {
            "album_type": a.album_type,
            "artists": [self.artist_simple(i) for i in a.artists],
            "available_markets": self.markets,
            "external_urls": external("album", a.id),
            "href": self.links.href("album", a.id),
            "id": a.id,
            "images": self.links.images(
                ids.hex_key(self.catalog.seed, "album-image", index), (640, 300, 64)
            ),
            "name": a.name,
            "release_date": a.release_date,
            "release_date_precision": a.release_date_precision,
            "total_tracks": a.total_tracks,
            "type": "album",
            "uri": f"spotify:album:{a.id}",
        }

    def _album_simple(self, index: int) -> Json:
        return self._album_base(index)

    def album(self, index: int) -> Json:
        """The full album object, its first page of tracks included (not cached: big)."""
        a = self.catalog.album(index)
        shown = min(a.total_tracks, ALBUM_TRACKS_PAGE)
        tracks = [self.track_simple(a.first_track + i) for i in range(shown)]
        return {
            **self._album_base(index),
            "copyrights": [
                {"text": f"© {a.release_date[:4]} {a.label}", "type": "C"},
                {"text": f"℗ {a.release_date[:4]} {a.label}", "type": "P"},
            ],
            "external_ids": {"upc": a.upc},
            "genres": [],
            "label": a.label,
            "popularity": a.popularity,
            "tracks": page(
                self.links, f"/albums/{a.id}/tracks", tracks, 0, ALBUM_TRACKS_PAGE, a.total_tracks
            ),
        }

    def _track_common(self, index: int) -> Json:
        t = self.catalog.track(index)
        return {
            "artists": [self.artist_simple(i) for i in t.artists],
            "available_markets": self.markets,
            "disc_number": t.disc_number,
            "duration_ms": t.duration_ms,
            "explicit": t.explicit,
            "external_urls": external("track", t.id),
            "href": self.links.href("track", t.id),
            "id": t.id,
            "is_local": False,
            "name": t.name,
            "preview_url": f"https://p.scdn.co/mp3-preview/{t.preview_key}"
            if t.preview_key
            else None,
            "track_number": t.track_number,
            "type": "track",
            "uri": f"spotify:track:{t.id}",
        }

    def _track(self, index: int) -> Json:
        t = self.catalog.track(index)
        return {
            "album": self.album_simple(t.album),
            **self._track_common(index),
            "external_ids": {"isrc": t.isrc},
            "popularity": t.popularity,
        }

    def _track_raw(self, index: int) -> Fragment:
        """text(track(index)), built from the album's cached text: the album is half of a
        track's JSON and shared by all its tracks. "album" is the first key, as in _track."""
        t = self.catalog.track(index)
        rest = {
            **self._track_common(index),
            "external_ids": {"isrc": t.isrc},
            "popularity": t.popularity,
        }
        return Fragment('{"album":' + self._album_simple_text(t.album) + "," + text(rest)[1:])

    def _track_simple(self, index: int) -> Json:
        return self._track_common(index)

    def local_track(self, index: int) -> Json:
        """A local file in a playlist: no ids, no hrefs, a spotify:local: uri."""
        f = self.catalog.local_file(index)
        uri = ":".join(quote_plus(part) for part in (f.artist, f.album, f.title))
        return {
            "album": {
                "album_type": None,
                "artists": [],
                "available_markets": [],
                "external_urls": {},
                "href": None,
                "id": None,
                "images": [],
                "name": f.album,
                "release_date": None,
                "release_date_precision": None,
                "type": "album",
                "uri": None,
            },
            "artists": [
                {
                    "external_urls": {},
                    "href": None,
                    "id": None,
                    "name": f.artist,
                    "type": "artist",
                    "uri": None,
                }
            ],
            "available_markets": [],
            "disc_number": 0,
            "duration_ms": f.seconds * 1000,
            "explicit": False,
            "external_ids": {},
            "external_urls": {},
            "href": None,
            "id": None,
            "is_local": True,
            "name": f.title,
            "popularity": 0,
            "preview_url": None,
            "track_number": 0,
            "type": "track",
            "uri": f"spotify:local:{uri}:{f.seconds}",
        }

    def show_simple(self, index: int) -> Json:
        s = self.catalog.show(index)
        description = f"{s.name}: conversations recorded at a fixed seed."
        return {
            "available_markets": self.markets,
            "copyrights": [],
            "description": description,
            "explicit": False,
            "external_urls": external("show", s.id),
            "href": self.links.href("show", s.id),
            "html_description": f"<p>{description}</p>",
            "id": s.id,
            "images": self.links.images(
                ids.hex_key(self.catalog.seed, "show-image", index), (640, 300, 64)
            ),
            "is_externally_hosted": False,
            "languages": ["en"],
            "media_type": "audio",
            "name": s.name,
            "publisher": s.publisher,
            "total_episodes": EPISODES_PER_SHOW,
            "type": "show",
            "uri": f"spotify:show:{s.id}",
        }

    def _episode(self, index: int) -> Json:
        e = self.catalog.episode(index)
        description = f"{e.name}, an episode of {self.catalog.show(e.show).name}."
        return {
            "audio_preview_url": None,
            "description": description,
            "duration_ms": e.duration_ms,
            "explicit": e.explicit,
            "external_urls": external("episode", e.id),
            "href": self.links.href("episode", e.id),
            "html_description": f"<p>{description}</p>",
            "id": e.id,
            "images": self.links.images(
                ids.hex_key(self.catalog.seed, "show-image", e.show), (640, 300, 64)
            ),
            "is_externally_hosted": False,
            "is_playable": True,
            "language": "en",
            "languages": ["en"],
            "name": e.name,
            "release_date": e.release_date,
            "release_date_precision": "day",
            "show": self.show_simple(e.show),
            "type": "episode",
            "uri": f"spotify:episode:{e.id}",
        }
