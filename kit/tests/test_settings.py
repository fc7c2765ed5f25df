"""Configuration comes from TAPEDECK_* variables; a bad value stops start-up with one line
naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic_settings import SettingsConfigDict

from kit.settings import (
    DatabaseSettings,
    SpotifySettings,
    TapedeckSettings,
    is_loopback,
    load_settings,
)


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


def _start(module: str, tmp_path: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    env |= {"TAPEDECK_DATA_DIR": str(tmp_path / "var")} | variables
    return subprocess.run(
        [sys.executable, "-m", module],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("module", "token"), [("gateway", ""), ("auth", "short-token"), ("download", "x" * 31)]
)
def test_an_empty_or_short_internal_token_stops_start_up_naming_it(
    module: str, token: str, tmp_path: Path
) -> None:
    done = _start(module, tmp_path, TAPEDECK_INTERNAL_TOKEN=token)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("tapedeck: invalid TAPEDECK_INTERNAL_TOKEN:")
    # The value is not echoed: a console can be shared.
    assert token == "" or token not in lines[0]


@pytest.mark.parametrize(
    ("module", "variable", "address"),
    [
        ("download", "TAPEDECK_DOWNLOAD_ADDR", "0.0.0.0:0"),
        ("download", "TAPEDECK_DOWNLOAD_ADDR", "[::]:0"),
        ("gateway", "TAPEDECK_HTTP_HOST", "0.0.0.0"),
    ],
)
def test_listening_beyond_loopback_with_a_generated_token_stops_start_up(
    module: str, variable: str, address: str, tmp_path: Path
) -> None:
    done = _start(module, tmp_path, **{variable: address})
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("tapedeck: invalid TAPEDECK_INTERNAL_TOKEN:")
    # Refused before a token was generated.
    assert not (tmp_path / "var" / "keys" / "internal-token").exists()


@pytest.mark.parametrize(
    "variable", ["TAPEDECK_GRACE_S", "TAPEDECK_RPC_TIMEOUT_S", "TAPEDECK_SPOTIFY_TIMEOUT_S"]
)
@pytest.mark.parametrize("value", ["0", "-1"])
def test_a_duration_of_zero_or_less_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    class _Both(_Settings, SpotifySettings):
        pass

    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as stopped:
        load_settings(_Both)
    assert str(stopped.value).startswith(f"tapedeck: invalid {variable}:")


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1:50051", True),
        ("127.0.0.2", True),
        ("localhost:8000", True),
        ("[::1]:50051", True),
        ("::1", True),
        ("0.0.0.0:50051", False),
        ("0.0.0.0", False),
        ("[::]:50051", False),
        ("10.0.0.5:50051", False),
        ("auth.internal:50051", False),
        ("", False),
    ],
)
def test_loopback_is_told_apart_from_every_other_address(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback
