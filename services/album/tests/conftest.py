"""The engine's in-memory Spotify, database and engine fixtures, from
collection/tests/spotify_fake.py (loaded by path: test folders are not packages)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _load_spotify_fake() -> None:
    if "spotify_fake" in sys.modules:
        return
    path = Path(__file__).resolve().parents[3] / "collection" / "tests" / "spotify_fake.py"
    spec = importlib.util.spec_from_file_location("spotify_fake", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["spotify_fake"] = module
    spec.loader.exec_module(module)


_load_spotify_fake()

from spotify_fake import database, migrated_template, spotify  # noqa: E402, F401
