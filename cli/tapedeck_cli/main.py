"""Entry point of the `tapedeck` command."""

from __future__ import annotations

import typer

app = typer.Typer(help="Tapedeck from the command line: save, list, export and download.")


@app.callback()
def main() -> None:
    """Tapedeck's public API from a terminal or a script."""


def run() -> None:
    app()
