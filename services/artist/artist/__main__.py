"""python -m artist: the artist service (followed artists)."""

from __future__ import annotations

from artist.server import SERVICE
from collection.process import main

if __name__ == "__main__":
    main(SERVICE)
