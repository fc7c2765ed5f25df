"""Configuration comes from TAPEDECK_* variables; a bad value stops start-up with one line
naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_settings import SettingsConfigDict

from kit.settings import DatabaseSettings, TapedeckSettings, load_settings


class _Settings(TapedeckSettings):
    model_config = SettingsConfigDict(env_prefix="TAPEDECK_", env_file=None, extra="ignore")
    http_port: int = 8000


def test_variables_are_read_with_the_tapedeck_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAPEDECK_HTTP_PORT", "8123")
    monkeypatch.setenv("TAPEDECK_AUTH_ADDR", "auth.internal:7000")
    settings = load_settings(_Settings)
    assert settings.http_port == 8123
    assert settings.addr("auth") == "auth.internal:7000"


def test_a_bad_value_stops_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAPEDECK_HTTP_PORT", "eighty")
    with pytest.raises(SystemExit) as stopped:
        load_settings(_Settings)
    message = str(stopped.value)
    assert "TAPEDECK_HTTP_PORT" in message and "\n" not in message


def test_each_service_defaults_to_its_own_sqlite_file(tmp_path: Path) -> None:
    urls = {DatabaseSettings(_env_file=None).url_for(s, tmp_path) for s in ("auth", "track")}
    assert urls == {f"sqlite:///{tmp_path}/auth.db", f"sqlite:///{tmp_path}/track.db"}


@pytest.mark.parametrize("module", ["gateway", "auth", "download"])
def test_a_process_with_a_bad_variable_exits_with_one_clear_line(
    module: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    env |= {"TAPEDECK_DATA_DIR": str(tmp_path), "TAPEDECK_GRACE_S": "soon"}
    done = subprocess.run(
        [sys.executable, "-m", module],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "TAPEDECK_GRACE_S" in lines[0]
