"""token: personal access tokens, for cron jobs and scripts (TAPEDECK_TOKEN)."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.text import Text

from tapedeck_cli.options import JsonFlag, session
from tapedeck_cli.output import note, print_json, print_rows

app = typer.Typer(
    help="Personal access tokens: long-lived tokens for cron jobs and scripts.",
    no_args_is_help=True,
)


@app.command()
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="What the token is for (1 to 100 characters).")],
    days: Annotated[
        int | None,
        typer.Option(min=1, max=3650, help="Expire after this many days (default: never)."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """Make a token; it is printed this once (only its hash is kept)."""
    client = session(ctx).client()
    try:
        made: dict[str, Any] = client.post(
            "/api/v1/tokens", {"name": name, "expires_in_days": days}
        ).json()
    finally:
        client.close()
    if json_output:
        print_json(made)
        return
    sys.stdout.write(made["token"] + "\n")
    note(
        Text(
            f"Token {made['id']} ({made['name']}), "
            + (f"expires {made['expires_at']}" if made.get("expires_at") else "never expires")
            + ": shown this once; give it to scripts as TAPEDECK_TOKEN."
        )
    )


@app.command("ls")
def list_tokens(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Your tokens (never their secrets)."""
    client = session(ctx).client()
    try:
        tokens: list[dict[str, Any]] = client.get("/api/v1/tokens")["items"]
    finally:
        client.close()
    if json_output:
        print_json(tokens)
        return
    print_rows(
        ["ID", "Name", "Created", "Expires"],
        (
            [
                t["id"],
                t["name"],
                (t.get("created_at") or "")[:16].replace("T", " "),
                (t.get("expires_at") or "never")[:16].replace("T", " "),
            ]
            for t in tokens
        ),
    )


@app.command()
def revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID", help="The token's id (token ls).")],
) -> None:
    """Revoke a token: refused from now on."""
    client = session(ctx).client()
    try:
        client.request("DELETE", f"/api/v1/tokens/{token_id}")
    finally:
        client.close()
    note(Text(f"Token {token_id} revoked."))
