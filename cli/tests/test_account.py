"""login, whoami, logout: a token is kept only once the server accepts it, only for its
owner's eyes, and logging out revokes it on the server too."""

from __future__ import annotations

import json
import stat
from typing import Any

import requests
from tapedeck_cli.exits import Exit
from teststack.stack import Stack

USER = "tapedeck-demo"
Cli = Any
Api = Any


def test_a_pasted_token_is_checked_kept_private_and_used(cli: Cli, token: str) -> None:
    ran = cli("login", input=token + "\n")
    assert ran.returncode == 0, ran.stderr
    assert "Tapedeck Demo" in ran.stderr

    mode = stat.S_IMODE(cli.credentials.stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert stat.S_IMODE(cli.credentials.parent.stat().st_mode) & 0o077 == 0
    assert token in cli.credentials.read_text()

    assert cli.ok("whoami").stdout == f"Tapedeck Demo ({USER}) on {cli.env['TAPEDECK_URL']}\n"
    me = cli.json("whoami")
    assert me["id"] == USER
    assert me["tapedeck"] == {"spotify_authorization_lost": False}


def test_the_landing_pages_whole_address_can_be_pasted(cli: Cli, stack: Stack, token: str) -> None:
    cli.ok("login", "--token", f"{stack.url}/#token={token}")
    assert json.loads(cli.credentials.read_text())["tokens"] == {stack.url: token}


def test_a_refused_token_is_not_kept_and_loses_nothing(
    cli: Cli, token: str, one_line_error: Any
) -> None:
    line = one_line_error(cli("login", "--token", "not-a-token"), Exit.NOT_LOGGED_IN)
    assert "refused the token" in line
    assert not cli.credentials.exists()
    one_line_error(cli("whoami"), Exit.NOT_LOGGED_IN)

    # Logged in, a bad paste keeps the login that works.
    cli.ok("login", "--token", token)
    kept = cli.credentials.read_bytes()
    one_line_error(cli("login", "--token", token[:-4]), Exit.NOT_LOGGED_IN)
    assert cli.credentials.read_bytes() == kept


def test_logout_revokes_the_token_on_the_server_and_forgets_it(
    cli: Cli, stack: Stack, token: str, one_line_error: Any
) -> None:
    stack.gateway.wait_synced()
    cli.ok("login", input=token)
    ran = cli.ok("logout")
    assert "revoked" in ran.stderr

    refused = requests.get(
        f"{stack.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert refused.status_code == 401
    assert token not in cli.credentials.read_text()
    assert json.loads(cli.credentials.read_text())["tokens"] == {}
    # Logging out twice is no error: there is nothing left to revoke.
    cli.ok("logout")


def test_a_personal_access_token_made_by_the_command_serves_a_cron_job(
    logged_in: Cli, cli: Cli, one_line_error: Any
) -> None:
    made = logged_in.json("token", "create", "cron")
    assert made["token"].startswith("tdp_") and made["expires_at"] is None
    personal = made["token"]

    cron = dict(TAPEDECK_TOKEN=personal)
    assert cli.json("whoami", **cron)["id"] == USER
    # Nothing was stored: the environment's token is used, not kept.
    assert not cli.credentials.exists()
    listed = cli.ok("token", "ls", **cron).stdout
    assert listed.startswith(f"{made['id']}\tcron\t") and personal not in listed

    logged_in.ok("token", "revoke", made["id"])
    one_line_error(cli("whoami", **cron), Exit.NOT_LOGGED_IN)
