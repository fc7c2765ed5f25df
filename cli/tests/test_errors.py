"""The failures a script tells apart by exit code, each said on one line: the server down,
a backend down (503), not logged in, bad usage; and --help for every command."""

from __future__ import annotations

from typing import Any

from tapedeck_cli.exits import Exit
from tapedeck_cli.main import app
from teststack.stack import Stack
from typer.testing import CliRunner

Cli = Any


def test_a_server_that_is_down_exits_3(logged_in: Cli, one_line_error: Any) -> None:
    line = one_line_error(
        logged_in("ls", "playlists", TAPEDECK_URL="http://127.0.0.1:1", TAPEDECK_TOKEN="x"),
        Exit.SERVER_DOWN,
    )
    assert "http://127.0.0.1:1" in line


def test_a_backend_down_exits_3_and_not_logged_in_exits_4(
    logged_in: Cli, stack: Stack, one_line_error: Any
) -> None:
    stack.library.stop()
    line = one_line_error(logged_in("ls", "saves"), Exit.SERVER_DOWN)
    assert "unavailable" in line
    one_line_error(logged_in("ls", "saves", TAPEDECK_TOKEN="tdp_nottoken"), Exit.NOT_LOGGED_IN)


def test_bad_usage_exits_2(cli: Cli) -> None:
    ran = cli("ls", "podcasts")
    assert ran.returncode == Exit.USAGE
    assert "podcasts" in ran.stderr
    # The rest in-process: Click decides them before any request, the same way.
    runner = CliRunner()
    for args in (
        ["--server", "ftp://example", "whoami"],
        ["ls", "albums", "--playlist", "x"],
        ["export", "--format", "pdf"],
        ["export", "--format", "json", "--liked"],
        ["save", "--kinds", ""],
    ):
        assert runner.invoke(app, args).exit_code == Exit.USAGE, args


def test_every_command_has_help() -> None:
    # In-process: help needs no server, and nine subprocesses would cost seconds for nothing.
    runner = CliRunner()
    main = runner.invoke(app, ["--help"])
    assert main.exit_code == 0
    for name in (
        "login",
        "logout",
        "whoami",
        "save",
        "ls",
        "diff",
        "export",
        "history",
        "import",
        "restore",
        "download",
        "token",
    ):
        assert name in main.output
        answer = runner.invoke(app, [name, "--help"])
        assert answer.exit_code == 0, name
        assert "Usage:" in answer.output and "--help" in answer.output, name
