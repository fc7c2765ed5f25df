"""python -m album: the album service (saved albums)."""

from __future__ import annotations

from album.server import SERVICE
from collection.process import main

if __name__ == "__main__":
    main(SERVICE)
