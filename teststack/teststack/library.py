"""The library service, for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kit.settings import ENTITY_SERVICES
from library.restores.wiring import build_restores
from library.server import create_library_server
from library.settings import LibrarySettings
from library.wiring import build
from teststack.running import Running

# Port 1 refuses connections: a service a test did not start is down, never someone else's.
ABSENT = "127.0.0.1:1"


def library_settings(
    database_url: str, data_dir: Path, addresses: dict[str, str], **overrides: Any
) -> LibrarySettings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "library_database_url": database_url,
        **{f"{name}_addr": addresses.get(name, ABSENT) for name in ENTITY_SERVICES},
        # Restores ask the auth service for the user's Spotify token.
        "auth_addr": addresses.get("auth", ABSENT),
        # Tests see every progress step in the database too.
        "progress_write_interval_s": 0.05,
        # Tests start full saves back to back; those of the cooldown set it themselves.
        "full_save_cooldown_s": 0,
    }
    values.update(overrides)
    return LibrarySettings(_env_file=None, **values)


def start_library(
    *,
    database_url: str,
    data_dir: Path,
    internal_token: str,
    addresses: dict[str, str],
    address: str = "127.0.0.1:0",
    **overrides: Any,
) -> Running:
    """`addresses`: where the entity services are, by service name (playlist, track, album,
    artist); one not given is down. Stopping it ends its running saves (interrupted:
    partial when some kinds completed, else failed), as a stopping process does."""
    # Not a setting: the time saves are stamped with (retention tests simulate months).
    clock = overrides.pop("clock", None)
    settings = library_settings(database_url, data_dir, addresses, **overrides)
    library = build(settings, internal_token, **({"clock": clock} if clock else {}))
    restores = build_restores(settings, internal_token, library.db)
    served = create_library_server(
        library.servicer, address, internal_token, settings.rpc_workers, restores=restores.servicer
    )
    served.start()
    return Running("library", served, [library.close, restores.close])
