"""Options several commands share, and reaching the Session the main callback built."""

from __future__ import annotations

from typing import Annotated

import typer

from tapedeck_cli.session import Session

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print JSON (the server's objects as they are) for scripts.")
]
SaveOption = Annotated[
    str | None,
    typer.Option("--save", metavar="SAVE_ID", help="Read this save instead of the newest one."),
]


def session(ctx: typer.Context) -> Session:
    found = ctx.find_object(Session)
    return found if found is not None else Session()
