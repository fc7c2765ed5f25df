"""The library edits Spotify's write endpoints make (create a playlist, add, replace and
remove its items, save to and remove from the library), as deterministic edits: each is
recorded like the admin API's edits, so a state file replays it."""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Any

from spotify_emulator import ids
from spotify_emulator.library import EPISODE, TRACK, Playlist, UserLibrary, code

if TYPE_CHECKING:
    from spotify_emulator.libraries import Libraries

# Spotify's per-call limits.
MAX_PLAYLIST_ITEMS_PER_CALL = 100
MAX_LIBRARY_URIS_PER_CALL = 40
MAX_TRACK_IDS_PER_CALL = 50  # the older PUT /me/tracks
# The edits below, by the name the state file records them under.
WRITE_EDITS = frozenset(
    [
        "create_playlist",
        "add_items",
        "replace_items",
        "remove_items",
        "save_library",
        "remove_library",
        "save_tracks_dated",
    ]
)


class BadUri(ValueError):
    """A URI Spotify would answer 400 for."""


def item_code(libraries: Libraries, uri: str) -> int:
    """The item code of a track or episode URI a playlist may hold."""
    kind, spotify_id = _split(uri)
    catalog = libraries.catalog
    if kind == "track":
        index = catalog.track_index(spotify_id)
        if index is not None:
            return code(TRACK, index)
    elif kind == "episode":
        index = catalog.episode_index(spotify_id)
        if index is not None:
            return code(EPISODE, index)
    else:
        raise BadUri(f"Unsupported URI type: {uri}")
    raise BadUri(f"Invalid track uri: {uri}")


def _split(uri: str) -> tuple[str, str]:
    parts = uri.split(":")
    if len(parts) != 3 or parts[0] != "spotify" or not ids.is_base62(parts[2]):
        raise BadUri(f"Invalid URI: {uri}")
    return parts[1], parts[2]


class Writes:
    """The write endpoints' edits on the libraries. Each takes the libraries' lock, records
    itself, and tells the state file afterwards."""

    def __init__(self, libraries: Libraries) -> None:
        self.libraries = libraries

    def create_playlist(
        self, library: UserLibrary, name: str, description: str, public: bool, collaborative: bool
    ) -> Playlist:
        args = {"name": name, "description": description, "public": public}
        args["collaborative"] = collaborative
        with self.libraries.lock:
            self._record(library, "create_playlist", args)
            made = self._create_playlist(library, args)
        self.libraries.on_change()
        return made

    def add_items(
        self, library: UserLibrary, playlist: Playlist, codes: list[int], position: int | None
    ) -> str:
        return self._playlist_edit(
            library, playlist, "add_items", {"codes": codes, "position": position}
        )

    def replace_items(self, library: UserLibrary, playlist: Playlist, codes: list[int]) -> str:
        return self._playlist_edit(library, playlist, "replace_items", {"codes": codes})

    def remove_items(self, library: UserLibrary, playlist: Playlist, codes: list[int]) -> str:
        return self._playlist_edit(library, playlist, "remove_items", {"codes": codes})

    def save(self, library: UserLibrary, uris: list[str]) -> None:
        self._library_edit(library, "save_library", uris)

    def remove(self, library: UserLibrary, uris: list[str]) -> None:
        self._library_edit(library, "remove_library", uris)

    def save_dated(self, library: UserLibrary, tracks: list[int], added_at: list[int]) -> None:
        """The older PUT /me/tracks with `timestamped_ids`: each track liked at the time
        given (epoch seconds), placed among the liked songs by that time."""
        with self.libraries.lock:
            self._record(library, "save_tracks_dated", {"tracks": tracks, "added_at": added_at})
            _save_dated(library, tracks, added_at)
        self.libraries.on_change()

    # Replaying (the state file) and applying share these.

    def apply(self, library: UserLibrary, edit: dict[str, Any]) -> None:
        """Replays a recorded edit; the caller holds the lock."""
        name = str(edit["edit"])
        self._record(library, name, {k: v for k, v in edit.items() if k not in ("user", "edit")})
        if name == "create_playlist":
            self._create_playlist(library, edit)
        elif name in ("add_items", "replace_items", "remove_items"):
            playlist = self.libraries.playlist(str(edit["playlist"]))
            if playlist is None:
                raise ValueError(f"an edit of an unknown playlist: {edit['playlist']}")
            self._apply_playlist(library, playlist, name, edit)
        elif name == "save_tracks_dated":
            _save_dated(
                library, [int(t) for t in edit["tracks"]], [int(a) for a in edit["added_at"]]
            )
        else:
            self._apply_library(library, name, [str(u) for u in edit["uris"]])

    def _record(self, library: UserLibrary, edit: str, args: dict[str, Any]) -> None:
        self.libraries._record(library, edit, **args)

    def _playlist_edit(
        self, library: UserLibrary, playlist: Playlist, name: str, args: dict[str, Any]
    ) -> str:
        with self.libraries.lock:
            self._record(library, name, {"playlist": playlist.id, **args})
            snapshot = self._apply_playlist(library, playlist, name, args)
        self.libraries.on_change()
        return snapshot

    def _library_edit(self, library: UserLibrary, name: str, uris: list[str]) -> None:
        with self.libraries.lock:
            self._record(library, name, {"uris": list(uris)})
            self._apply_library(library, name, uris)
        self.libraries.on_change()

    def _create_playlist(self, library: UserLibrary, args: dict[str, Any]) -> Playlist:
        libraries = self.libraries
        library.created += 1
        made = Playlist(
            id=ids.entity_id(
                libraries.seed, f"created-playlist:{library.user_id}", library.created
            ),
            name=str(args["name"]),
            description=str(args["description"]),
            owner=library.user_id,
            collaborative=bool(args["collaborative"]),
            public=bool(args["public"]),
            followers=0,
            items=array("q"),
            added_at=array("q"),
            added_by=array("B"),
            adders=[library.user_id],
        )
        # A new playlist comes first in /me/playlists, as in Spotify.
        library.playlists.insert(0, made)
        libraries.register(made)
        return made

    def _apply_playlist(
        self, library: UserLibrary, playlist: Playlist, name: str, args: dict[str, Any]
    ) -> str:
        codes = [int(c) for c in args["codes"]]
        if name == "remove_items":
            gone = set(codes)
            keep = [p for p, c in enumerate(playlist.items) if c not in gone]
            playlist.items = array("q", (playlist.items[p] for p in keep))
            playlist.added_at = array("q", (playlist.added_at[p] for p in keep))
            playlist.added_by = array("B", (playlist.added_by[p] for p in keep))
        else:
            if name == "replace_items":
                del playlist.items[:], playlist.added_at[:], playlist.added_by[:]
                position = 0
            else:
                given = args.get("position")
                position = len(playlist.items) if given is None else int(given)
            if library.user_id not in playlist.adders:
                playlist.adders.append(library.user_id)
            adder = playlist.adders.index(library.user_id)
            at = self.libraries.tick(library)
            playlist.items[position:position] = array("q", codes)
            playlist.added_at[position:position] = array("q", [at] * len(codes))
            playlist.added_by[position:position] = array("B", [adder] * len(codes))
        playlist.version += 1
        return ids.snapshot_id(self.libraries.seed, playlist.id, playlist.version)

    def _apply_library(self, library: UserLibrary, name: str, uris: list[str]) -> None:
        catalog = self.libraries.catalog
        saving = name == "save_library"
        for uri in uris:
            kind, spotify_id = _split(uri)
            if kind == "track":
                index = catalog.track_index(spotify_id)
                if index is not None:
                    _set(library.liked, library.liked_at, index, saving, self._at(library))
            elif kind == "album":
                index = catalog.album_index(spotify_id)
                if index is not None:
                    _set(library.albums, library.albums_at, index, saving, self._at(library))
            elif kind == "playlist":
                found = self.libraries.playlist(spotify_id)
                present = any(p.id == spotify_id for p in library.playlists)
                if saving and found is not None and not present:
                    library.playlists.insert(0, found)
                elif not saving and present:
                    library.playlists = [p for p in library.playlists if p.id != spotify_id]

    def _at(self, library: UserLibrary) -> Any:
        return lambda: self.libraries.tick(library)


def _set(values: array, times: array, index: int, saving: bool, clock: Any) -> None:
    """Saves (newest first, once) or removes one entry of a saved list."""
    present = index in values
    if saving and not present:
        values.insert(0, index)
        times.insert(0, clock())
    elif not saving and present:
        position = values.index(index)
        del values[position]
        del times[position]


def _save_dated(library: UserLibrary, tracks: list[int], added_at: list[int]) -> None:
    """Likes each track (once) at its time: liked songs stay newest first, and a track
    given the same time as one already there goes above it (it was saved later)."""
    for index, at in zip(tracks, added_at, strict=True):
        if index in library.liked:
            continue
        position = next((p for p, t in enumerate(library.liked_at) if t <= at), len(library.liked))
        library.liked.insert(position, index)
        library.liked_at.insert(position, at)


def check_library_uris(libraries: Libraries, uris: list[str]) -> None:
    """Raises BadUri for a URI PUT/DELETE /me/library refuses: malformed, or of a type it
    does not take (artists: following them has no 2026 endpoint for development-mode apps)."""
    for uri in uris:
        kind, _ = _split(uri)
        if kind not in ("track", "album", "episode", "show", "audiobook", "user", "playlist"):
            raise BadUri(f"Unsupported URI type: {uri}")
