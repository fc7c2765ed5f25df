"""Every user's library, generated on first use, and the deterministic edits tests make."""

from __future__ import annotations

import random
import threading
from array import array
from collections.abc import Callable, Iterable
from typing import Any

from spotify_emulator import ids, names, playlist_edits
from spotify_emulator.catalog import Catalog
from spotify_emulator.config import LibrarySpec
from spotify_emulator.generate import generate
from spotify_emulator.library import TRACK, Playlist, UserLibrary, code
from spotify_emulator.writes import WRITE_EDITS, Writes


class Libraries:
    """Generates each user's library on first use and keeps the playlists of every library in
    one registry, since /playlists/{id} is not limited to the caller's own."""

    def __init__(self, seed: int, spec: LibrarySpec, catalog: Catalog) -> None:
        self.seed = seed
        self.spec = spec
        self.catalog = catalog
        self._users: dict[str, UserLibrary] = {}
        self._playlists: dict[str, Playlist] = {}
        self.owner_names: dict[str, str] = {}
        # One lock for every library: edits are rare and reads only hold it to copy a slice,
        # so a page always sees one consistent version of a list.
        self.lock = threading.RLock()
        # Every edit made, in order: replayed on the libraries regenerated from the seed, they
        # give back exactly the libraries they were made to (edits are deterministic).
        self._edits: list[dict[str, Any]] = []
        # Called after every edit, outside the lock (the state file saves itself there).
        self.on_change: Callable[[], None] = _nothing
        # The write endpoints' edits (POST /me/playlists, /playlists/{id}/items, /me/library).
        self.writes = Writes(self)

    def get(self, user_id: str) -> UserLibrary:
        with self.lock:
            found = self._users.get(user_id)
            if found is None:
                found = generate(self, user_id)
                self._users[user_id] = found
                for playlist in found.playlists:
                    self._playlists.setdefault(playlist.id, playlist)
            return found

    def playlist(self, playlist_id: str) -> Playlist | None:
        with self.lock:
            return self._playlists.get(playlist_id)

    def register(self, playlist: Playlist) -> None:
        """Makes a playlist made after generation (created through the API) reachable."""
        with self.lock:
            self._playlists.setdefault(playlist.id, playlist)

    def playlists_owned_by(self, user_id: str) -> list[Playlist]:
        with self.lock:
            return [p for p in self._playlists.values() if p.owner == user_id and p.public]

    def display_name(self, user_id: str) -> str:
        return self.owner_names.get(user_id) or names.display_name(user_id)

    # Deterministic edits. Each takes the library lock so a page being served sees a
    # consistent list; the random choices come from (seed, user, edit number).

    def edit_rng(self, library: UserLibrary, what: str) -> random.Random:
        library.edits += 1
        return ids.rng(self.seed, library.user_id, "edit", library.edits, what)

    def tick(self, library: UserLibrary) -> int:
        library.clock += 3600
        return library.clock

    def change_playlist(
        self, library: UserLibrary, playlist: Playlist, add: int, remove: int
    ) -> str:
        with self.lock:
            self._record(library, "change_playlist", playlist=playlist.id, add=add, remove=remove)
            snapshot = self._change_playlist(library, playlist, add, remove)
        self.on_change()
        return snapshot

    def _change_playlist(
        self, library: UserLibrary, playlist: Playlist, add: int, remove: int
    ) -> str:
        # The snapshot changes exactly when the items do.
        if add <= 0 and (remove <= 0 or not playlist.items):
            return ids.snapshot_id(self.seed, playlist.id, playlist.version)
        r = self.edit_rng(library, "playlist")
        for position in sorted(_positions(r, len(playlist.items), remove), reverse=True):
            del playlist.items[position]
            del playlist.added_at[position]
            del playlist.added_by[position]
        adder = library.user_id if library.user_id in playlist.adders else playlist.owner
        if adder not in playlist.adders:
            playlist.adders.append(adder)
        for _ in range(max(add, 0)):
            playlist.items.append(code(TRACK, r.randrange(self.catalog.tracks)))
            playlist.added_at.append(self.tick(library))
            playlist.added_by.append(playlist.adders.index(adder))
        playlist.version += 1
        return ids.snapshot_id(self.seed, playlist.id, playlist.version)

    def edit_playlist(
        self,
        library: UserLibrary,
        playlist: Playlist,
        name: str | None = None,
        description: str | None = None,
        items: list[int | str] | None = None,
    ) -> str:
        """Renames, describes and/or sets the items of a playlist
        (spotify_emulator.playlist_edits); returns the new snapshot_id."""
        with self.lock:
            codes = None if items is None else playlist_edits.item_codes(self, playlist, items)
            self._record(
                library,
                "edit_playlist",
                playlist=playlist.id,
                name=name,
                description=description,
                items=codes,
            )
            playlist_edits.edit(self, library, playlist, name, description, codes)
            snapshot = ids.snapshot_id(self.seed, playlist.id, playlist.version)
        self.on_change()
        return snapshot

    def unfollow_playlist(self, library: UserLibrary, playlist: Playlist) -> None:
        """Takes the playlist out of the user's playlists (it still exists)."""
        with self.lock:
            self._record(library, "unfollow_playlist", playlist=playlist.id)
            playlist_edits.unfollow(library, playlist)
        self.on_change()

    def like_tracks(self, library: UserLibrary, n: int) -> list[int]:
        return self._edit(library, "like_tracks", n)

    def unlike_tracks(self, library: UserLibrary, n: int) -> list[int]:
        return self._edit(library, "unlike_tracks", n)

    def save_albums(self, library: UserLibrary, n: int) -> list[int]:
        return self._edit(library, "save_albums", n)

    def remove_albums(self, library: UserLibrary, n: int) -> list[int]:
        return self._edit(library, "remove_albums", n)

    def follow_artists(self, library: UserLibrary, n: int) -> list[int]:
        return self._edit(library, "follow_artists", n)

    def unfollow_artists(self, library: UserLibrary, n: int) -> list[int]:
        return self._edit(library, "unfollow_artists", n)

    def _edit(self, library: UserLibrary, edit: str, n: int) -> list[int]:
        with self.lock:
            self._record(library, edit, n=n)
            changed = self._edits_by_name[edit](library, n)
        self.on_change()
        return changed

    def _record(self, library: UserLibrary, edit: str, **args: object) -> None:
        self._edits.append({"user": library.user_id, "edit": edit, **args})

    def _like_tracks(self, library: UserLibrary, n: int) -> list[int]:
        r = self.edit_rng(library, "like")
        new = _fresh(r, set(library.liked), self.catalog.tracks, n)
        at = [self.tick(library) for _ in new]
        library.liked[0:0] = array("q", reversed(new))
        library.liked_at[0:0] = array("q", reversed(at))
        return new[::-1]  # as they now appear: newest first

    def _unlike_tracks(self, library: UserLibrary, n: int) -> list[int]:
        r = self.edit_rng(library, "unlike")
        return _remove(r, library.liked, library.liked_at, n)

    def _save_albums(self, library: UserLibrary, n: int) -> list[int]:
        r = self.edit_rng(library, "save")
        new = _fresh(r, set(library.albums), self.catalog.albums, n)
        at = [self.tick(library) for _ in new]
        library.albums[0:0] = array("q", reversed(new))
        library.albums_at[0:0] = array("q", reversed(at))
        return new[::-1]  # as they now appear: newest first

    def _remove_albums(self, library: UserLibrary, n: int) -> list[int]:
        r = self.edit_rng(library, "unsave")
        return _remove(r, library.albums, library.albums_at, n)

    def _follow_artists(self, library: UserLibrary, n: int) -> list[int]:
        r = self.edit_rng(library, "follow")
        new = _fresh(r, set(library.artists), self.catalog.artists, n)
        library.artists = self.by_artist_id(library.artists + new)
        return new

    def _unfollow_artists(self, library: UserLibrary, n: int) -> list[int]:
        r = self.edit_rng(library, "unfollow")
        gone = sorted(_positions(r, len(library.artists), n))
        removed = [library.artists[p] for p in gone]
        keep = set(gone)
        library.artists = [a for p, a in enumerate(library.artists) if p not in keep]
        return removed

    @property
    def _edits_by_name(self) -> dict[str, Callable[[UserLibrary, int], list[int]]]:
        return {
            "like_tracks": self._like_tracks,
            "unlike_tracks": self._unlike_tracks,
            "save_albums": self._save_albums,
            "remove_albums": self._remove_albums,
            "follow_artists": self._follow_artists,
            "unfollow_artists": self._unfollow_artists,
        }

    # The state file's part: the users (in the order they were first generated: the owner
    # names of other users' playlists go to whoever generated them first) and the edits.

    def export(self) -> dict[str, Any]:
        with self.lock:
            return {"users": list(self._users), "edits": [dict(e) for e in self._edits]}

    def restore(self, saved: dict[str, Any], with_edits: bool = True) -> None:
        """Generates the saved users, in their order, then replays the saved edits (unless
        not `with_edits`: edits made to another seed's libraries mean nothing here). Raises
        (KeyError, TypeError, ValueError) on anything malformed; call it on new Libraries
        only, as it may have done part of its work when it does."""
        for user_id in saved["users"]:
            self.get(str(user_id))
        if not with_edits:
            return
        for edit in saved["edits"]:
            library = self.get(str(edit["user"]))
            name = str(edit["edit"])
            with self.lock:
                if name == "change_playlist":
                    playlist = self.playlist(str(edit["playlist"]))
                    if playlist is None:
                        raise ValueError(f"an edit of an unknown playlist: {edit['playlist']}")
                    add, remove = int(edit["add"]), int(edit["remove"])
                    self._record(library, name, playlist=playlist.id, add=add, remove=remove)
                    self._change_playlist(library, playlist, add, remove)
                elif name in playlist_edits.EDITS:
                    self._edits.append(dict(edit))
                    playlist_edits.replay(self, library, edit)
                elif name in self._edits_by_name:
                    n = int(edit["n"])
                    self._record(library, name, n=n)
                    self._edits_by_name[name](library, n)
                elif name in WRITE_EDITS:
                    self.writes.apply(library, edit)
                else:
                    raise ValueError(f"an unknown edit: {name}")

    def by_artist_id(self, artists: Iterable[int]) -> list[int]:
        # Followed artists are listed by id, so an `after` cursor stays meaningful when the
        # artist it names is unfollowed between pages.
        return sorted(artists, key=lambda a: ids.entity_id(self.seed, "artist", a))


def _nothing() -> None:
    pass


def _positions(r: random.Random, length: int, n: int) -> list[int]:
    return r.sample(range(length), min(max(n, 0), length))


def _fresh(r: random.Random, taken: set[int], universe: int, n: int) -> list[int]:
    """n indexes below universe not in taken, in the order they were drawn."""
    found: list[int] = []
    while len(found) < n and len(taken) < universe:
        candidate = r.randrange(universe)
        if candidate not in taken:
            taken.add(candidate)
            found.append(candidate)
    return found


def _remove(r: random.Random, values: array, times: array, n: int) -> list[int]:
    gone = sorted(_positions(r, len(values), n), reverse=True)
    removed = [values[p] for p in gone]
    for p in gone:
        del values[p]
        del times[p]
    return removed
