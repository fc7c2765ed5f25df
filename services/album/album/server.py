"""The album service as the engine builds it: the collection contract for saved albums."""

from __future__ import annotations

from album.albums import saved_albums
from collection.server import EntityService

SERVICE = EntityService("album", saved_albums)
