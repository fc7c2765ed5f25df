"""`python -m kit.migrate SERVICE PACKAGE`, the command every service's init container runs
(deploy/k8s): it migrates that service's database and exits 0; a package without
migrations stops it with one line and exit 1, before touching any database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from kit.migrate import migrations_of


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    env["TAPEDECK_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "kit.migrate", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_migration_command_migrates_the_service_database(tmp_path: Path) -> None:
    done = _run(tmp_path, "playlist", "collection")
    assert done.returncode == 0, done.stderr
    # TAPEDECK_PLAYLIST_DATABASE_URL unset: the playlist's own SQLite file in the data dir.
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'data' / 'playlist.db'}")
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "alembic_version" in tables and len(tables) > 3


def test_a_package_without_migrations_is_refused_with_one_line() -> None:
    with pytest.raises(SystemExit) as stopped:
        migrations_of("gateway")
    assert str(stopped.value).startswith("tapedeck: gateway has no Alembic migrations")
