"""The procedural catalog every user's library draws from: an artist, album, track, show,
episode or local file is a pure function of (seed, index), so nothing is stored per entity
and a catalog of a few hundred thousand tracks costs one array of album offsets."""

from __future__ import annotations

import bisect
from array import array
from dataclasses import dataclass
from functools import lru_cache

from spotify_emulator import ids, names
from spotify_emulator.config import LibrarySpec

# Index 0 of each kind is an awkward one every library contains.
BIG_ALBUM_TRACKS = 64  # album 0: more than one page of 50 album tracks
_SPECIAL_TRACKS = (
    'Say "Hello", Wave Goodbye',
    "AC/DC Cover: Back in Black / White",
    "Nights 🌙✨ (Ünïcödé Edit)",
)
_COMMA_ARTIST = "Earth, Wind & Wire"
_BIG_ALBUM = 'Complete Works, Vol. 1 (Deluxe "Edition")'
SHOWS = 6
EPISODES_PER_SHOW = 200
_MARKETS = ("CA", "DE", "GB", "JP", "SE", "US")
_ISRC_COUNTRIES = ("US", "GB", "SE", "DE", "FR", "JP", "NL")


@dataclass(frozen=True, slots=True)
class Artist:
    index: int
    id: str
    name: str
    genres: tuple[str, ...]
    followers: int
    popularity: int
    has_image: bool


@dataclass(frozen=True, slots=True)
class Album:
    index: int
    id: str
    name: str
    album_type: str
    artists: tuple[int, ...]
    first_track: int
    total_tracks: int
    release_date: str
    release_date_precision: str
    label: str
    popularity: int
    upc: str


@dataclass(frozen=True, slots=True)
class Track:
    index: int
    id: str
    name: str
    album: int
    artists: tuple[int, ...]
    disc_number: int
    track_number: int
    duration_ms: int
    explicit: bool
    isrc: str
    popularity: int
    preview_key: str | None


@dataclass(frozen=True, slots=True)
class Show:
    index: int
    id: str
    name: str
    publisher: str


@dataclass(frozen=True, slots=True)
class Episode:
    index: int
    id: str
    name: str
    show: int
    duration_ms: int
    release_date: str
    explicit: bool


@dataclass(frozen=True, slots=True)
class LocalFile:
    artist: str
    album: str
    title: str
    seconds: int


class Catalog:
    def __init__(self, seed: int, spec: LibrarySpec) -> None:
        self.seed = seed
        # Enough tracks that liking more stays possible and playlists overlap realistically.
        target_tracks = max(400, 2 * spec.liked + spec.playlist_items // 2 + 100)
        min_albums = 2 * spec.albums + 20
        starts = array("q", [0])
        album = 0
        while starts[-1] < target_tracks or album < min_albums:
            starts.append(starts[-1] + self._album_size(album))
            album += 1
        self._starts = starts
        self.albums = album
        self.tracks = starts[-1]
        self.artists = max(2 * spec.artists + 20, self.albums // 2)
        self.episodes = SHOWS * EPISODES_PER_SHOW
        self.artist = lru_cache(maxsize=50_000)(self._artist)
        self.album = lru_cache(maxsize=50_000)(self._album)
        self.track = lru_cache(maxsize=100_000)(self._track)

    def _album_size(self, index: int) -> int:
        if index == 0:
            return BIG_ALBUM_TRACKS
        roll = ids.number(self.seed, "album-size", index) % 1000
        spread = ids.number(self.seed, "album-spread", index)
        if roll < 250:
            return 1 + spread % 4
        if roll < 900:
            return 8 + spread % 11
        if roll < 970:
            return 20 + spread % 21
        return 51 + spread % 40

    def _artist(self, index: int) -> Artist:
        r = ids.rng(self.seed, "artist", index)
        name = _COMMA_ARTIST if index == 0 else names.artist_name(r)
        genres = tuple(sorted(r.sample(names.GENRES, r.randint(0, 3))))
        return Artist(
            index=index,
            id=ids.entity_id(self.seed, "artist", index),
            name=name,
            genres=genres,
            followers=int(r.paretovariate(0.9) * 300),
            popularity=r.randint(0, 100),
            has_image=r.random() > 0.1,
        )

    def _album(self, index: int) -> Album:
        r = ids.rng(self.seed, "album", index)
        size = self._starts[index + 1] - self._starts[index]
        if index == 0:
            artists: tuple[int, ...] = (0,)
            name, album_type = _BIG_ALBUM, "compilation"
        else:
            artists = (r.randrange(self.artists),)
            if r.random() < 0.1:
                artists += (r.randrange(self.artists),)
            name = names.album_title(r)
            album_type = "single" if size <= 4 else "compilation" if size > 50 else "album"
        year = r.randint(1962, 2025)
        precision = r.choices(("day", "month", "year"), (85, 5, 10))[0]
        month, day = r.randint(1, 12), r.randint(1, 28)
        release = {
            "day": f"{year}-{month:02d}-{day:02d}",
            "month": f"{year}-{month:02d}",
            "year": f"{year}",
        }[precision]
        return Album(
            index=index,
            id=ids.entity_id(self.seed, "album", index),
            name=name,
            album_type=album_type,
            artists=artists,
            first_track=self._starts[index],
            total_tracks=size,
            release_date=release,
            release_date_precision=precision,
            label=r.choice(names.LABELS),
            popularity=r.randint(0, 100),
            upc=f"{r.randrange(10**12):012d}",
        )

    def album_of(self, track: int) -> int:
        return bisect.bisect_right(self._starts, track) - 1

    def _track(self, index: int) -> Track:
        album = self.album(self.album_of(index))
        r = ids.rng(self.seed, "track", index)
        position = index - album.first_track
        # Long albums come on two discs, numbered per disc as Spotify does.
        per_disc = (album.total_tracks + 1) // 2 if album.total_tracks > 30 else album.total_tracks
        artists = album.artists
        if r.random() < 0.2:
            artists += (r.randrange(self.artists),)
        year = album.release_date[2:4]
        country = _ISRC_COUNTRIES[r.randrange(len(_ISRC_COUNTRIES))]
        registrant = "T" + ids.base62(index // 100_000, 2).upper()
        return Track(
            index=index,
            id=ids.entity_id(self.seed, "track", index),
            name=_SPECIAL_TRACKS[index] if index < len(_SPECIAL_TRACKS) else names.track_title(r),
            album=album.index,
            artists=artists,
            disc_number=position // per_disc + 1,
            track_number=position % per_disc + 1,
            duration_ms=r.randint(95_000, 420_000),
            explicit=r.random() < 0.15,
            isrc=f"{country}{registrant}{year}{index % 100_000:05d}",
            popularity=r.randint(0, 100),
            preview_key=ids.hex_key(self.seed, "preview", index) if r.random() < 0.2 else None,
        )

    def track_index(self, spotify_id: str) -> int | None:
        index = ids.entity_index(self.seed, "track", spotify_id)
        return index if index is not None and index < self.tracks else None

    def album_index(self, spotify_id: str) -> int | None:
        index = ids.entity_index(self.seed, "album", spotify_id)
        return index if index is not None and index < self.albums else None

    def artist_index(self, spotify_id: str) -> int | None:
        index = ids.entity_index(self.seed, "artist", spotify_id)
        return index if index is not None and index < self.artists else None

    def episode_index(self, spotify_id: str) -> int | None:
        index = ids.entity_index(self.seed, "episode", spotify_id)
        return index if index is not None and index < self.episodes else None

    def show(self, index: int) -> Show:
        return Show(
            index=index,
            id=ids.entity_id(self.seed, "show", index),
            name=names.show_name(index),
            publisher=f"Tapedeck Audio {index + 1}",
        )

    def episode(self, index: int) -> Episode:
        r = ids.rng(self.seed, "episode", index)
        number = index // SHOWS + 1
        return Episode(
            index=index,
            id=ids.entity_id(self.seed, "episode", index),
            name=f"#{number}: {names.track_title(r)}",
            show=index % SHOWS,
            duration_ms=r.randint(15, 95) * 60_000 + r.randint(0, 59_999),
            release_date=f"{r.randint(2016, 2025)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            explicit=r.random() < 0.1,
        )

    def local_file(self, index: int) -> LocalFile:
        r = ids.rng(self.seed, "local", index)
        return LocalFile(
            artist=names.artist_name(r),
            album=names.album_title(r),
            title=names.track_title(r),
            seconds=r.randint(90, 400),
        )

    @staticmethod
    def markets() -> list[str]:
        return list(_MARKETS)
