"""Secrets generated once into the data dir (mode 0600) when the environment gives none, and
the file permissions every process keeps."""

from __future__ import annotations

import os
import secrets as random
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from kit.credentials import MIN_LENGTH, Credential, credential_for
from kit.settings import TapedeckSettings, is_loopback


def keep_files_private() -> None:
    """Called first in every process: whatever it creates (the data dir, databases, logs,
    keys) is its owner's only, 0700 for folders and 0600 for files."""
    os.umask(0o077)


def refuse_shared(path: Path, what: str | None = None) -> None:
    """Stops start-up when a key file may be read or written by group or others."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        where = f"{what}: {path}" if what else str(path)
        raise SystemExit(
            f"tapedeck: invalid {where}: a key file must be its owner's only, not mode "
            f"{mode:04o} (chmod 600 {path})"
        )


def load_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """The secret at `path`, made by `make` the first time. Safe when several processes
    start at once: the first to link its file into place wins, the others read it. An
    existing file that group or others may read is refused."""
    if path.exists():
        refuse_shared(path)
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
    refuse_shared(path)
    return path.read_bytes()


def keys_dir(settings: TapedeckSettings) -> Path:
    return settings.data_dir / "keys"


def internal_token(settings: TapedeckSettings, *, listening_on: Iterable[str]) -> str:
    """The root internal token: TAPEDECK_INTERNAL_TOKEN, else one generated into the data
    dir. A generated one is refused when anything listens beyond this machine
    (`listening_on`: hosts or host:port addresses): every replica would make its own."""
    if settings.internal_token is not None:
        return settings.internal_token.get_secret_value()
    exposed = [a for a in listening_on if not is_loopback(a)]
    if exposed:
        raise SystemExit(
            f"tapedeck: invalid TAPEDECK_INTERNAL_TOKEN: must be set when listening on "
            f"{exposed[0]}, beyond this machine (a generated one differs on every replica)"
        )
    path = keys_dir(settings) / "internal-token"
    made = load_or_create(path, lambda: random.token_urlsafe(32).encode()).decode().strip()
    if len(made) < MIN_LENGTH:
        raise SystemExit(
            f"tapedeck: invalid {path}: the internal token must be at least {MIN_LENGTH} "
            "characters (delete the file to have one generated)"
        )
    return made


def caller_credential(
    settings: TapedeckSettings, caller: str, *, listening_on: Iterable[str]
) -> Credential:
    """What `caller` presents on its internal calls: TAPEDECK_CALLER_CREDENTIAL when given
    (the process then never needs the root token), else derived from the root token."""
    if settings.caller_credential is not None:
        return Credential(caller, settings.caller_credential.get_secret_value())
    return credential_for(internal_token(settings, listening_on=listening_on), caller)
