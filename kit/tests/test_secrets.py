"""Generated secrets: made once, private to their owner, the same for every process."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from kit.secrets import load_or_create


def test_a_secret_is_made_once_and_then_read(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k"
    first = load_or_create(path, lambda: b"one")
    assert load_or_create(path, lambda: b"two") == first == b"one"


def test_a_generated_secret_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k"
    load_or_create(path, lambda: b"x")
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o077 == 0


def test_processes_starting_together_all_get_the_same_secret(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "k"
    with ThreadPoolExecutor(16) as pool:
        seen = set(
            pool.map(lambda _: load_or_create(path, lambda: secrets.token_bytes(16)), range(64))
        )
    assert len(seen) == 1
    assert [p.name for p in path.parent.iterdir()] == ["k"]  # no temporary files left behind
