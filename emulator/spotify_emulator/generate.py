"""Generates a user's library from (seed, user id) and a LibrarySpec: exact totals,
heavy-tailed playlist sizes, and every awkward case real libraries have."""

from __future__ import annotations

import random
from array import array
from typing import TYPE_CHECKING

from spotify_emulator import ids, names
from spotify_emulator.library import EPISODE, LOCAL, NOW, NULL, TRACK, Playlist, UserLibrary, code

if TYPE_CHECKING:
    from spotify_emulator.libraries import Libraries

_DAY = 86_400


def generate(libraries: Libraries, user_id: str) -> UserLibrary:
    return _Generator(libraries, user_id).library()


def allocate(total: int, weights: list[float], cap: int) -> list[int]:
    """Split total into len(weights) integer parts proportional to weights (largest
    remainder), none above cap unless the total cannot fit otherwise."""
    if not weights:
        return []
    cap = max(cap, -(-total // len(weights)))
    sizes = [0] * len(weights)
    remaining, open_ = total, list(range(len(weights)))
    while remaining > 0 and open_:
        weight = sum(weights[i] for i in open_)
        if weight <= 0:
            weights = [1.0] * len(weights)
            continue
        shares = {i: remaining * weights[i] / weight for i in open_}
        for i in open_:
            sizes[i] += int(shares[i])
        given = sum(int(shares[i]) for i in open_)
        left = remaining - given
        for i in sorted(open_, key=lambda i: shares[i] - int(shares[i]), reverse=True)[:left]:
            sizes[i] += 1
        # Anything over the cap goes back to be shared among the others.
        remaining = sum(max(0, sizes[i] - cap) for i in open_)
        for i in open_:
            sizes[i] = min(sizes[i], cap)
        open_ = [i for i in open_ if sizes[i] < cap]
    return sizes


# The awkward playlists every library starts with: (name, size, ownership). Ownership is
# "own", "collab" (another user's collaborative playlist) or "other" (another user's, not
# collaborative: withheld in 2026 mode).
_AWKWARD: tuple[tuple[str, int, str], ...] = (
    ('Road trip, summer "2019" 🚗', 130, "own"),
    ("../../etc/passwd", 12, "own"),
    ("Empty / nothing here yet", 0, "own"),
    ("Favourites", 8, "own"),
    ("Favourites", 5, "own"),
    ("Party 🎉 (collab)\nbring your own tunes", 20, "collab"),
    ("Fresh Finds, Weekly", 25, "other"),
)


class _Generator:
    def __init__(self, libraries: Libraries, user_id: str) -> None:
        self.libraries = libraries
        self.seed = libraries.seed
        self.spec = libraries.spec
        self.catalog = libraries.catalog
        self.user_id = user_id
        self.r = ids.rng(self.seed, "library", user_id)
        # Other users' playlists come from a small circle of owners, like a real friend list.
        self.owners = [names.owner(self.r) for _ in range(6)]
        for owner_id, name in self.owners:
            libraries.owner_names.setdefault(owner_id, name)
        self.local_files = 0

    def library(self) -> UserLibrary:
        spec, r = self.spec, self.r
        playlists = self._playlists()
        liked = _sample(r, self.catalog.tracks, spec.liked)
        albums = _sample(r, self.catalog.albums, spec.albums, first=0)
        artists = _sample(r, self.catalog.artists, spec.artists, first=0)
        return UserLibrary(
            user_id=self.user_id,
            display_name=names.display_name(self.user_id),
            playlists=playlists,
            liked=array("q", liked),
            liked_at=array("q", _times_descending(r, len(liked))),
            albums=array("q", albums),
            albums_at=array("q", _times_descending(r, len(albums))),
            artists=self.libraries.by_artist_id(artists),
            followers=r.randint(0, 250),
        )

    def _playlists(self) -> list[Playlist]:
        spec, r = self.spec, self.r
        awkward = list(_AWKWARD[: max(spec.playlists, 0)])
        sizes = [size for _, size, _ in awkward]
        if sum(sizes) > spec.playlist_items:
            sizes = allocate(
                spec.playlist_items, [float(s) for s in sizes], spec.max_playlist_items
            )
        ordinary = max(spec.playlists - len(awkward), 0)
        # Log-normal sizes: many small playlists, a few huge ones.
        weights = [r.lognormvariate(0.0, 1.6) for _ in range(ordinary)]
        sizes += allocate(spec.playlist_items - sum(sizes), weights, spec.max_playlist_items)
        made: list[Playlist] = []
        for index, size in enumerate(sizes):
            if index < len(awkward):
                name, _, ownership = awkward[index]
            else:
                roll = r.random()
                name = names.playlist_name(r)
                ownership = (
                    "own"
                    if roll >= spec.others_share
                    else "collab"
                    if roll < spec.others_share / 2
                    else "other"
                )
            made.append(self._playlist(index, name, size, ownership, awkward=index < len(awkward)))
        r.shuffle(made)
        return made

    def _playlist(
        self, index: int, name: str, size: int, ownership: str, awkward: bool
    ) -> Playlist:
        r = self.r
        owner = self.user_id if ownership == "own" else r.choice(self.owners)[0]
        adders = [owner]
        if ownership == "collab":
            adders += [self.user_id, r.choice(self.owners)[0]]
        items = array("q")
        for position in range(size):
            items.append(self._item(r, position, awkward, special=awkward and index == 0))
        start = NOW - r.randint(30, 3000) * _DAY
        step = max((NOW - start) // max(size, 1), 1)
        added_at = array("q", sorted(start + r.randrange(step) + p * step for p in range(size)))
        added_by = array("B", (r.randrange(len(adders)) for _ in range(size)))
        return Playlist(
            id=ids.entity_id(self.seed, f"playlist:{self.user_id}", index),
            name=name,
            description=r.choice(("", "", "Songs for when the wifi is down.", "Made with <3")),
            owner=owner,
            collaborative=ownership == "collab",
            public=ownership == "other" or (ownership == "own" and r.random() < 0.6),
            followers=r.randint(0, 40) if ownership == "own" else r.randint(0, 5_000),
            items=items,
            added_at=added_at,
            added_by=added_by,
            adders=adders,
        )

    def _item(self, r: random.Random, position: int, awkward: bool, special: bool) -> int:
        if special:
            # The big awkward playlist has every odd kind of item at fixed places.
            if position in (3, 60):
                return code(NULL)
            if position in (7, 50):
                return self._local()
            if position in (10, 101):
                return code(EPISODE, r.randrange(self.catalog.episodes))
        if awkward and position < 3:
            # The tracks with awkward names open every awkward playlist, so the same track
            # sits in several playlists.
            return code(TRACK, position)
        roll = r.random()
        spec = self.spec
        if roll < spec.null_rate:
            return code(NULL)
        if roll < spec.null_rate + spec.local_rate:
            return self._local()
        if roll < spec.null_rate + spec.local_rate + spec.episode_rate:
            return code(EPISODE, r.randrange(self.catalog.episodes))
        # Popular tracks recur across playlists, as they do in real libraries.
        if r.random() < 0.3:
            return code(TRACK, r.randrange(max(self.catalog.tracks // 50, 1)))
        return code(TRACK, r.randrange(self.catalog.tracks))

    def _local(self) -> int:
        self.local_files += 1
        return code(LOCAL, ids.number(self.seed, self.user_id, "local", self.local_files) % 10**6)


def _sample(r: random.Random, universe: int, n: int, first: int | None = None) -> list[int]:
    n = min(n, universe)
    if n <= 0:
        return []
    picked = r.sample(range(universe), n)
    if first is not None and first not in picked:
        picked[0] = first
    return picked


def _times_descending(r: random.Random, n: int) -> list[int]:
    t, out = NOW, []
    for _ in range(n):
        t -= r.randint(600, 4 * _DAY)
        out.append(t)
    return out
