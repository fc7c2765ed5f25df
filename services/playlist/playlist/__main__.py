"""python -m playlist: the playlist service (playlists and their items)."""

from __future__ import annotations

from collection.process import main
from playlist.server import SERVICE

if __name__ == "__main__":
    main(SERVICE)
