"""Secrets generated once into the data dir (mode 0600) when the environment gives none."""

from __future__ import annotations

import os
import secrets as random
from collections.abc import Callable
from pathlib import Path

from kit.settings import TapedeckSettings


def load_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The secret at `path`, made by `make` the first time. Safe when several processes
    start at once: the first to link its file into place wins, the others read it."""
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{random.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(make())
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    return path.read_bytes()


def keys_dir(settings: TapedeckSettings) -> Path:
    return settings.data_dir / "keys"


def internal_token(settings: TapedeckSettings) -> str:
    if settings.internal_token is not None:
        return settings.internal_token.get_secret_value()
    made = load_or_create(
        keys_dir(settings) / "internal-token", lambda: random.token_urlsafe(32).encode()
    )
    return made.decode().strip()
