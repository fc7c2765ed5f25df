"""The state file: what a restarted emulator needs to carry on where the last one stopped,
so a client holding its tokens (demo mode's auth service) never notices the restart.

It holds the users (in the order they were first generated), every token still meaning
something (codes not yet used, access tokens with their expiry, valid refresh tokens) and
every library edit made, in order. The libraries themselves are regenerated from the seed
and the edits replayed on them: edits are deterministic, so that gives back exactly the
libraries they were made to. Not kept: faults, the mode, the token lifetime and the stats,
which the command line (or the test) sets anew.

The file is rewritten whole after every change, before the answer that made it leaves (a
refresh token handed out is on disk before its client can hold it), atomically: a
temporary file beside it, flushed to disk, then renamed over it. Mode 0600, in a 0700
directory: it holds live tokens."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from spotify_emulator.config import EmulatorConfig
from spotify_emulator.libraries import Libraries
from spotify_emulator.tokens import Tokens

log = logging.getLogger("spotify_emulator")

VERSION = 1
# Where `python -m spotify_emulator` keeps it by default, below $TAPEDECK_DATA_DIR.
DEFAULT_NAME = Path("emulator") / "state.json"


class StateFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any] | None:
        """The saved document; None when there is no file yet. Raises OSError when it
        cannot be read, ValueError when it is no state file of this version."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        document = json.loads(text)
        if not isinstance(document, dict) or document.get("version") != VERSION:
            raise ValueError(f"not a version {VERSION} state file")
        return document

    def write(self, document: dict[str, Any]) -> None:
        data = json.dumps(document, separators=(",", ":")).encode()
        folder = self.path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        # mkstemp makes the file 0600, and the name is unguessable.
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass
            raise

    def set_aside(self) -> Path:
        """Moves an unusable file out of the way (kept for a look, never read again)."""
        aside = self.path.with_name(self.path.name + ".unreadable")
        os.replace(self.path, aside)
        return aside


def identity(config: EmulatorConfig) -> dict[str, Any]:
    """What the saved edits were made to; a file of another client is not this one's."""
    return {"client_id": config.client_id, "seed": config.seed, "library": asdict(config.library)}


def document(config: EmulatorConfig, libraries: Libraries, tokens: Tokens) -> dict[str, Any]:
    return {
        "version": VERSION,
        **identity(config),
        **libraries.export(),
        "tokens": tokens.export(),
    }


def load(store: StateFile, config: EmulatorConfig, libraries: Libraries, tokens: Tokens) -> bool:
    """Restores what the file holds into new `libraries` and `tokens`. Returns whether the
    emulator may keep its state in that file: not when it belongs to another client (say a
    benchmark's emulator found demo mode's file), which is then left untouched. Raises
    (OSError, ValueError, KeyError, TypeError) when the file is unusable: the caller sets
    it aside and starts from new libraries and tokens, as the restore may be half done."""
    saved = store.read()
    if saved is None:
        log.info("no emulator state file yet: starting afresh", extra={"path": str(store.path)})
        return True
    if saved["client_id"] != config.client_id:
        log.warning(
            "the emulator state file belongs to another client: not using it, and keeping "
            "state in memory only",
            extra={"path": str(store.path), "client_id": str(saved["client_id"])},
        )
        return False
    same_libraries = (saved["seed"], saved["library"]) == (config.seed, asdict(config.library))
    if not same_libraries:
        log.warning(
            "the emulator state file was made with another seed or library profile: keeping "
            "its users and tokens, dropping its library changes",
            extra={"path": str(store.path), "edits_dropped": len(saved["edits"])},
        )
    libraries.restore(saved, with_edits=same_libraries)
    tokens.restore(saved["tokens"])
    log.info(
        "emulator state restored",
        extra={
            "path": str(store.path),
            "users": len(saved["users"]),
            "edits": len(saved["edits"]) if same_libraries else 0,
            "refresh_tokens": len(saved["tokens"]["refresh"]),
        },
    )
    return True
