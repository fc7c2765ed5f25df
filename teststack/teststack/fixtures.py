"""pytest fixtures for tests that need the Spotify emulator or a running stack."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from spotify_emulator import Emulator, EmulatorConfig, LibrarySpec
from spotify_emulator.config import Mode
from teststack.auth import CLIENT_ID, CLIENT_SECRET


def make_emulator(
    mode: Mode = "2026",
    library: LibrarySpec | None = None,
    *,
    rotate_refresh_tokens: bool = False,
) -> Emulator:
    emulator = Emulator(
        EmulatorConfig(
            seed=1,
            mode=mode,
            library=library or LibrarySpec.tiny(),
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            rotate_refresh_tokens=rotate_refresh_tokens,
        )
    )
    return emulator.start(host="127.0.0.1", port=0)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A Spotify emulator (2026 shape, the tiny library) on an ephemeral loopback port."""
    emu = make_emulator()
    yield emu
    emu.stop()


@pytest.fixture
def internal_token() -> str:
    return secrets.token_urlsafe(24)
