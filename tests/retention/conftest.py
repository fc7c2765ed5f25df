"""The retention tests run on the whole stack in-process, as tests/library's do: the same
`stack`, `api`, `api_for` and `library_equals` fixtures and the same `Api` client, taken from
tests/library/conftest.py (pytest's importlib mode gives test folders no package to import
them from)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

_spec = importlib.util.spec_from_file_location(
    "tests_library_conftest_for_retention",
    Path(__file__).parent.parent / "library" / "conftest.py",
)
assert _spec is not None and _spec.loader is not None
_library: Any = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_library)

Api = _library.Api
stack = _library.stack
api = _library.api
api_for = _library.api_for
library_equals = _library.library_equals
