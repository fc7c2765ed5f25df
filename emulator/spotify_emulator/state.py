"""Everything one emulator holds, built from its config, shared by the HTTP routes and the
Python API so both render from the same source."""

from __future__ import annotations

import threading

from spotify_emulator.catalog import Catalog
from spotify_emulator.config import MODES, EmulatorConfig, Mode
from spotify_emulator.faults import FaultInjector
from spotify_emulator.libraries import Libraries
from spotify_emulator.links import Links
from spotify_emulator.objects import Objects
from spotify_emulator.shapes import Shapes
from spotify_emulator.stats import Stats
from spotify_emulator.tokens import Tokens

# Until start() knows the address, links point here.
UNBOUND = "http://127.0.0.1:0"


class State:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.mode: Mode = config.mode
        self.catalog = Catalog(config.seed, config.library)
        self.libraries = Libraries(config.seed, config.library, self.catalog)
        self.tokens = Tokens(config.token_ttl_s, config.rotate_refresh_tokens)
        self.faults = FaultInjector(config.faults)
        self.stats = Stats()
        self._lock = threading.Lock()
        self.relink(config.public_url or UNBOUND)

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
