"""The entity services (playlist, track, album, artist), for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from album.server import SERVICE as ALBUM
from artist.server import SERVICE as ARTIST
from collection.server import EntityService, build, create_entity_server
from collection.settings import EntitySettings
from playlist.server import SERVICE as PLAYLIST
from spotify_emulator import Emulator
from teststack.running import Running
from track.server import SERVICE as TRACK

SERVICES: dict[str, EntityService] = {s.name: s for s in (PLAYLIST, TRACK, ALBUM, ARTIST)}


def entity_settings(
    name: str,
    emulator: Emulator,
    database_url: str,
    data_dir: Path,
    auth_address: str,
    **overrides: Any,
) -> EntitySettings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        f"{name}_database_url": database_url,
        "auth_addr": auth_address,
        "spotify_api_url": emulator.api_url,
        "spotify_accounts_url": emulator.accounts_url,
        "spotify_timeout_s": 10,
    }
    values.update(overrides)
    return EntitySettings(_env_file=None, **values)


def start_entity(
    name: str,
    *,
    emulator: Emulator,
    auth_address: str,
    database_url: str,
    data_dir: Path,
    internal_token: str,
    address: str = "127.0.0.1:0",
    **overrides: Any,
) -> Running:
    """`name`: playlist, track, album or artist. `overrides`: EntitySettings fields."""
    settings = entity_settings(name, emulator, database_url, data_dir, auth_address, **overrides)
    built = build(SERVICES[name], settings, internal_token)
    served = create_entity_server(built, address, internal_token, settings.rpc_workers)
    served.start()
    return Running(name, served, [built.close])
