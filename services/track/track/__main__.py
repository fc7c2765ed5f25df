"""python -m track: the track service (Liked Songs)."""

from __future__ import annotations

from collection.process import main
from track.server import SERVICE

if __name__ == "__main__":
    main(SERVICE)
