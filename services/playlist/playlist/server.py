"""The playlist service as the engine builds it: the collection contract for playlists, and their items."""

from __future__ import annotations

from collection.server import EntityService
from playlist.playlists import playlists
from playlist.servicer import registrations

SERVICE = EntityService("playlist", playlists, registrations)
