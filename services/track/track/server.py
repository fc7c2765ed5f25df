"""The track service as the engine builds it: the collection contract for Liked Songs."""

from __future__ import annotations

from collection.server import EntityService
from track.tracks import liked_songs

SERVICE = EntityService("track", liked_songs)
