"""Everything one emulator holds, built from its config, shared by the HTTP routes and the
Python API so both render from the same source."""

from __future__ import annotations

import logging
import threading

from spotify_emulator import persist
from spotify_emulator.catalog import Catalog
from spotify_emulator.config import MODES, EmulatorConfig, Mode
from spotify_emulator.faults import FaultInjector
from spotify_emulator.libraries import Libraries
from spotify_emulator.links import Links
from spotify_emulator.objects import Objects
from spotify_emulator.persist import StateFile
from spotify_emulator.shapes import Shapes
from spotify_emulator.stats import Stats
from spotify_emulator.tokens import Tokens

log = logging.getLogger("spotify_emulator")

# Until start() knows the address, links point here.
UNBOUND = "http://127.0.0.1:0"


class State:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.mode: Mode = config.mode
        self.catalog = Catalog(config.seed, config.library)
        self.libraries, self.tokens = self._afresh()
        self.faults = FaultInjector(config.faults)
        self.stats = Stats()
        self._lock = threading.Lock()
        # The state file, when there is one and it is this emulator's to keep.
        self.store: StateFile | None = None
        self._save_lock = threading.Lock()
        if config.state_file is not None:
            self._open(StateFile(config.state_file))
        self.relink(config.public_url or UNBOUND)

    def _afresh(self) -> tuple[Libraries, Tokens]:
        config = self.config
        return (
            Libraries(config.seed, config.library, self.catalog),
            Tokens(config.token_ttl_s, config.rotate_refresh_tokens),
        )

    def _open(self, store: StateFile) -> None:
        try:
            usable = persist.load(store, self.config, self.libraries, self.tokens)
        except (OSError, ValueError, KeyError, TypeError) as error:
            # Perhaps half restored: start over from nothing.
            self.libraries, self.tokens = self._afresh()
            problem = f"{type(error).__name__}: {error}"
            try:
                aside = store.set_aside()
            except OSError as failed:
                log.error(
                    "the emulator state file is unusable and cannot be moved aside: keeping "
                    "state in memory only",
                    extra={"path": str(store.path), "error": problem, "move": failed.strerror},
                )
                return
            log.error(
                "the emulator state file is unusable: moved aside, starting afresh",
                extra={"path": str(store.path), "moved_to": str(aside), "error": problem},
            )
            usable = True
        if usable:
            self.store = store
            self.libraries.on_change = self.save
            self.tokens.on_change = self.save

    def save(self) -> None:
        """Writes the state file (if any) with everything changed so far. Called after each
        change, outside the libraries' and tokens' locks; whichever save runs last holds
        every change made before it."""
        store = self.store
        if store is None:
            return
        with self._save_lock:
            document = persist.document(self.config, self.libraries, self.tokens)
            try:
                store.write(document)
            except OSError as error:
                log.error(
                    "cannot write the emulator state file: a restart will forget the latest "
                    "changes",
                    extra={"path": str(store.path), "error": error.strerror or str(error)},
                )

    def relink(self, base_url: str) -> None:
        """Points every href and link at base_url (rendered objects are cached per base)."""
        with self._lock:
            self.links = Links(base_url)
            self.objects = Objects(self.catalog, self.links)
            self.shapes = Shapes(self.objects, self.libraries)

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.mode = mode  # type: ignore[assignment]
