"""Entry point of the `tapedeck` command: the app, its global options, and the one place
where a failure becomes a line on stderr and an exit code."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tapedeck_cli.commands import (
    account,
    downloads,
    exports,
    history,
    listing,
    restores,
    saves,
    tokens,
)
from tapedeck_cli.exits import CliError
from tapedeck_cli.session import DEFAULT_SERVER, Session, server_url

app = typer.Typer(
    help="Tapedeck from the command line: save your Spotify library, list it, compare saves, "
    "export, restore and download it, through a Tapedeck server's HTTP API.",
    no_args_is_help=True,
    # A bug's traceback stays plain: Rich's would print local variables, tokens among them.
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _server(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return server_url(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.callback()
def main(
    ctx: typer.Context,
    server: Annotated[
        str | None,
        typer.Option(
            envvar="TAPEDECK_URL",
            callback=_server,
            metavar="URL",
            help=f"The Tapedeck server (default: the last one logged in to, else {DEFAULT_SERVER}).",
        ),
    ] = None,
) -> None:
    """Tapedeck's public API from a terminal or a script."""
    ctx.obj = Session(server)


app.command()(account.login)
app.command()(account.logout)
app.command()(account.whoami)
app.command()(saves.save)
app.command("ls")(listing.ls)
app.command()(saves.diff)
app.command()(exports.export)
app.command()(history.history)
app.command("import")(restores.import_file)
app.command()(restores.restore)
app.command()(downloads.download)
app.add_typer(tokens.app, name="token")


def run() -> None:
    try:
        app()
    except CliError as error:
        # One line, for people and for logs; the exit code is for scripts.
        sys.stderr.write(f"tapedeck: {error.message}\n")
        sys.exit(int(error.code))
