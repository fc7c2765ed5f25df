"""The auth service, for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from auth.server import create_auth_server
from auth.settings import AuthSettings
from auth.wiring import build
from spotify_emulator import Emulator
from teststack.running import Running

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"


def auth_settings(
    emulator: Emulator, database_url: str, data_dir: Path, **overrides: Any
) -> AuthSettings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "auth_database_url": database_url,
        "spotify_client_id": CLIENT_ID,
        "spotify_client_secret": CLIENT_SECRET,
        "spotify_api_url": emulator.api_url,
        "spotify_accounts_url": emulator.accounts_url,
        "public_url": "http://127.0.0.1:8000",
        "spotify_timeout_s": 10,
    }
    values.update(overrides)
    return AuthSettings(_env_file=None, **values)  # type: ignore[call-arg]


def start_auth(
    emulator: Emulator,
    database_url: str,
    data_dir: Path,
    internal_token: str,
    address: str = "127.0.0.1:0",
    **overrides: Any,
) -> Running:
    settings = auth_settings(emulator, database_url, data_dir, **overrides)
    servicer, db = build(settings)
    served = create_auth_server(servicer, address, internal_token)
    served.start()
    return Running("auth", served, [db.dispose])
