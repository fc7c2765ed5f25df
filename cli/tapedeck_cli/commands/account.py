"""login, logout, whoami.

The gateway hands a browser login's token only to its own pages (the token travels in the
URL fragment of a redirect to a path on the gateway's site), so a command cannot catch it on
a loopback port of its own: the person logs in in the browser and pastes the token the page
shows, or gives a personal access token (`tdp_…`, made with POST /api/v1/tokens).
"""

from __future__ import annotations

import sys
import webbrowser
from typing import Annotated, Any

import typer
from rich.text import Text

from tapedeck_cli.client import Client
from tapedeck_cli.config import Credentials
from tapedeck_cli.exits import CliError, Exit
from tapedeck_cli.options import JsonFlag, session
from tapedeck_cli.output import note, print_json


def login(
    ctx: typer.Context,
    token: Annotated[
        str | None,
        typer.Option(
            help="The token to keep (a login's or a personal access token). Without it the "
            "token is read from stdin when that is not a terminal, else asked for."
        ),
    ] = None,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the login page in the browser.")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Log in: keep a token for the server, checked against it first."""
    server = session(ctx).server
    if token is None:
        token = _read_token(server, open_browser)
    token = _cleaned(token)
    if not token:
        raise CliError("no token given: nothing was stored", Exit.USAGE)
    client = Client(server, token)
    try:
        me = client.get("/api/v1/me")
    finally:
        client.close()
    credentials = Credentials.load()
    credentials.tokens[server] = token
    credentials.current = server
    path = credentials.store()
    if json_output:
        print_json(me)
        return
    note(Text(f"Logged in to {server} as {_who(me)}; the token is kept in {path}"))


def logout(ctx: typer.Context) -> None:
    """Log out: revoke the stored token on the server, then forget it here."""
    server = session(ctx).server
    credentials = Credentials.load()
    token = credentials.tokens.get(server)
    if token is None:
        note(Text(f"Not logged in to {server}."))
        return
    client = Client(server, token)
    try:
        client.post("/auth/logout")
        message = f"Logged out of {server}: the token is revoked and forgotten."
    except CliError as error:
        if error.code != Exit.NOT_LOGGED_IN:
            # Forgetting a token the server still accepts would leave it valid: keep it.
            raise CliError(
                f"not logged out, the token is kept: {error.message}", error.code
            ) from error
        message = f"Logged out of {server}: the token was no longer valid; forgotten."
    finally:
        client.close()
    credentials.tokens.pop(server, None)
    if credentials.current == server:
        credentials.current = None
    credentials.store()
    note(Text(message))


def whoami(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """Who the token belongs to, on which server."""
    current = session(ctx)
    client = current.client()
    try:
        me = client.get("/api/v1/me")
    finally:
        client.close()
    if json_output:
        print_json(me)
        return
    sys.stdout.write(f"{_who(me)} on {current.server}\n")
    if me.get("tapedeck", {}).get("spotify_authorization_lost"):
        note("Spotify no longer accepts your login: run tapedeck login to save again.")


def _read_token(server: str, open_browser: bool) -> str:
    url = f"{server}/auth/login"
    if not sys.stdin.isatty():
        return sys.stdin.readline()
    note(Text(f"Log in with Spotify at {url}"))
    note("The page you land on shows a token: paste it here (or a personal access token).")
    if open_browser and not webbrowser.open(url):
        note("(no browser could be opened: open the address yourself)")
    value: str = typer.prompt("Token", hide_input=True, err=True)
    return value


def _cleaned(token: str) -> str:
    """The token alone, also when the whole address of the landing page was pasted."""
    token = token.strip()
    if "#token=" in token:
        token = token.split("#token=", 1)[1].split("&", 1)[0]
    return token


def _who(me: dict[str, Any]) -> str:
    name = me.get("display_name")
    return f"{name} ({me.get('id')})" if name else str(me.get("id"))
