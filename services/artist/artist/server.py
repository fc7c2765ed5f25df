"""The artist service as the engine builds it: the collection contract for followed artists."""

from __future__ import annotations

from artist.artists import followed_artists
from collection.server import EntityService

SERVICE = EntityService("artist", followed_artists)
