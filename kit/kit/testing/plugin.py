"""pytest fixtures every Tapedeck test can use (registered by the root conftest)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from kit.testing.databases import fresh_postgres_database, postgres_available, sqlite_url

BACKENDS = ("sqlite", "postgresql")


def _require_postgres() -> None:
    why = postgres_available()
    if why is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL must be reachable under CI=true: {why}")
    pytest.skip(f"PostgreSQL is not reachable ({why}); storage tests ran on SQLite only")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    _require_postgres()
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_database_url(tmp_path: Path) -> str:
    """A fresh SQLite database, for tests whose subject is not storage."""
    return sqlite_url(tmp_path)


@pytest.fixture
def postgres_databases() -> Iterator[Callable[[], str]]:
    """Makes fresh PostgreSQL databases on call, all dropped afterwards (for a whole stack)."""
    _require_postgres()
    with ExitStack() as databases:
        yield lambda: databases.enter_context(fresh_postgres_database())
