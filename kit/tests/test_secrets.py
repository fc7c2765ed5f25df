"""Generated secrets: made once, private to their owner, the same for every process."""

from __future__ import annotations

import secrets
import stat
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kit.credentials import Credential, credential_for
from kit.secrets import caller_credential, internal_token, load_or_create
from kit.settings import TapedeckSettings


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


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_a_key_file_others_may_read_is_refused_naming_it(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "keys" / "jwt-ed25519.pem"
    load_or_create(path, lambda: b"secret key material")
    path.chmod(mode)
    with pytest.raises(SystemExit) as stopped:
        load_or_create(path, lambda: b"x")
    line = str(stopped.value)
    assert line.startswith("tapedeck: invalid ") and str(path) in line and "\n" not in line
    assert "secret key material" not in line


def test_a_root_token_from_the_environment_works_on_any_address(tmp_path: Path) -> None:
    root = "r" * 32
    settings = TapedeckSettings(_env_file=None, data_dir=tmp_path, internal_token=root)
    assert internal_token(settings, listening_on=["0.0.0.0:50051"]) == root
    assert caller_credential(settings, "gateway", listening_on=["0.0.0.0"]) == credential_for(
        root, "gateway"
    )


def test_a_process_given_its_own_credential_never_needs_the_root(tmp_path: Path) -> None:
    mine = "c" * 64
    settings = TapedeckSettings(_env_file=None, data_dir=tmp_path, caller_credential=mine)
    assert caller_credential(settings, "gateway", listening_on=["0.0.0.0"]) == Credential(
        "gateway", mine
    )
    assert not (tmp_path / "keys").exists()


def test_everything_a_process_creates_is_its_owners_only(tmp_path: Path) -> None:
    """What every __main__ does first (keep_files_private), in a process of its own: the
    umask is the whole process's."""
    data_dir = tmp_path / "var"
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kit.secrets import keep_files_private, internal_token\n"
        "from kit.settings import TapedeckSettings\n"
        "import sqlite3\n"
        "keep_files_private()\n"
        "settings = TapedeckSettings(_env_file=None, data_dir=Path(sys.argv[1]))\n"
        "internal_token(settings, listening_on=['127.0.0.1:0'])\n"
        "sqlite3.connect(f'{sys.argv[1]}/some.db').execute('create table t (x)').close()\n"
        "(Path(sys.argv[1]) / 'logs').mkdir()\n"
        "(Path(sys.argv[1]) / 'logs' / 'x.log').write_text('x')\n"
    )
    subprocess.run([sys.executable, "-c", script, str(data_dir)], check=True, timeout=60)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    found = list(data_dir.rglob("*"))
    assert {p.name for p in found} >= {"keys", "internal-token", "some.db", "logs", "x.log"}
    for path in found:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
