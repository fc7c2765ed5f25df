"""Where the command keeps its logins: one token per server, in the user's config directory
(`$XDG_CONFIG_HOME/tapedeck/credentials.json` on Linux), readable by the user alone."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from tapedeck_cli.exits import CliError, Exit

FILE_NAME = "credentials.json"


def config_dir() -> Path:
    # click's get_app_dir honours XDG_CONFIG_HOME on Linux and knows macOS's and Windows'
    # places, so tests (and people with several setups) can point it elsewhere.
    return Path(typer.get_app_dir("tapedeck"))


@dataclass
class Credentials:
    """What credentials.json holds: the server last logged in to, and each server's token."""

    current: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Credentials:
        path = config_dir() / FILE_NAME
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as exc:
            raise CliError(f"cannot read {path}: {exc}", Exit.FAILED) from exc
        if not isinstance(raw, dict):
            raise CliError(f"cannot read {path}: not a JSON object", Exit.FAILED)
        tokens = raw.get("tokens")
        return cls(
            current=raw.get("current") if isinstance(raw.get("current"), str) else None,
            tokens={k: v for k, v in tokens.items() if isinstance(v, str)}
            if isinstance(tokens, dict)
            else {},
        )

    def store(self) -> Path:
        """Writes the file whole (a crash leaves the old one), created with mode 0600 from the
        start: the token is never readable by others, not even for an instant."""
        directory = config_dir()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = directory / FILE_NAME
        body = json.dumps({"current": self.current, "tokens": self.tokens}, indent=2)
        # mkstemp creates the file with mode 0600.
        fd, temporary = tempfile.mkstemp(prefix=".credentials-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(body + "\n")
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        return path
