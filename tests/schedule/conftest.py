"""The schedule tests drive the whole stack in-process through the gateway with the same
`Api` client as tests/library's, taken from tests/library/conftest.py (pytest's importlib
mode gives test folders no package to import it from)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

_spec = importlib.util.spec_from_file_location(
    "tests_library_conftest_for_schedule",
    Path(__file__).parent.parent / "library" / "conftest.py",
)
assert _spec is not None and _spec.loader is not None
_library: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_library)

Api = _library.Api
