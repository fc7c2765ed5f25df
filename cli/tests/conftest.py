"""The `tapedeck` command run as a subprocess, as a person or a cron job runs it, against the
whole stack in-process (teststack.stack.Stack) and the Spotify emulator; each test with its
own config directory (XDG_CONFIG_HOME), so logins never leak between tests or into $HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from teststack.stack import Stack

from spotify_emulator import Emulator

USER = "tapedeck-demo"


class Cli:
    """Runs `python -m tapedeck_cli` (the `tapedeck` command) in `cwd` with `env`."""

    def __init__(self, home: Path, server: str) -> None:
        self.home = home
        self.cwd = home / "work"
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("TAPEDECK_") and key not in ("XDG_CONFIG_HOME", "HOME")
        }
        self.env.update(
            {
                "HOME": str(home),
                "XDG_CONFIG_HOME": str(home / "config"),
                "TAPEDECK_URL": server,
                # Rich draws for a terminal of this width when it draws at all (stderr).
                "COLUMNS": "120",
            }
        )

    @property
    def credentials(self) -> Path:
        return self.home / "config" / "tapedeck" / "credentials.json"

    def __call__(
        self, *args: str, input: str | None = None, **env: str
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tapedeck_cli", *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env={**self.env, **env},
            timeout=120,
        )

    def ok(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        ran = self(*args, **env)
        assert ran.returncode == 0, (ran.returncode, ran.stdout, ran.stderr)
        return ran

    def json(self, *args: str, **env: str) -> Any:
        return json.loads(self.ok(*args, "--json", **env).stdout)


def _one_line_error(ran: subprocess.CompletedProcess[str], code: int) -> str:
    """The command failed with `code` and said why on one line of stderr, nothing on stdout."""
    assert ran.returncode == code, (ran.returncode, ran.stdout, ran.stderr)
    assert ran.stdout == ""
    lines = ran.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("tapedeck: "), ran.stderr
    return lines[0]


@pytest.fixture
def one_line_error() -> Any:
    """(completed process, exit code) -> its one line of stderr. A fixture because pytest's
    importlib mode gives test folders no package to import helpers from."""
    return _one_line_error


class Api:
    """The gateway called directly, to check what the command did."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(f"{self.url}{path}", params=params, timeout=30)


@pytest.fixture
def stack(emulator: Emulator, tmp_path: Path) -> Iterator[Stack]:
    running = Stack.start(emulator, tmp_path)
    yield running
    running.stop()


@pytest.fixture
def token(stack: Stack) -> str:
    """A login's token, as the page a browser login lands on shows it."""
    return stack.login(USER)


@pytest.fixture
def api(stack: Stack, token: str) -> Api:
    return Api(stack.url, token)


@pytest.fixture
def cli(stack: Stack, tmp_path: Path) -> Cli:
    """The command, not logged in."""
    return Cli(tmp_path / "home", stack.url)


@pytest.fixture
def logged_in(cli: Cli, token: str) -> Cli:
    """The command with a token in TAPEDECK_TOKEN, as a cron job runs it (test_account.py
    shows `tapedeck login` storing one; this spares every other test a run of it)."""
    cli.env["TAPEDECK_TOKEN"] = token
    return cli
