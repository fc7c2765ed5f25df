"""The downloads' tests run on the whole stack in-process with the `Api` client of
tests/library/conftest.py (pytest's importlib mode gives test folders no package to import
it from), and a local HTTP server of real audio as the `url` source."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from teststack.audio import AudioServer
from teststack.stack import Stack

from spotify_emulator import Emulator

_spec = importlib.util.spec_from_file_location(
    "tests_library_conftest_for_downloads",
    Path(__file__).parent.parent / "library" / "conftest.py",
)
assert _spec is not None and _spec.loader is not None
_library: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_library)

Api = _library.Api
api_for = _library.api_for


@pytest.fixture
def audio() -> Iterator[AudioServer]:
    server = AudioServer().start()
    yield server
    server.stop()


@pytest.fixture
def stack(emulator: Emulator, tmp_path: Path, audio: AudioServer) -> Iterator[Stack]:
    running = Stack.start(
        emulator,
        tmp_path,
        download_overrides={
            "download_url_template": audio.url + "/{track_id}.wav",
            "download_source": "url",
            "download_embedded_worker": True,
        },
    )
    yield running
    running.stop()


@pytest.fixture
def api(stack: Stack) -> Any:
    return Api(stack.url, stack.login())
