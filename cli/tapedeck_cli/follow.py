"""Following a save to its end through its event stream, and through the stream's hiccups:
when the gateway restarts, or the library service does, the stream ends with an `error`
event while the save goes on (docs/api.md), so the save is read again and followed anew."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tapedeck_cli.client import Client
from tapedeck_cli.exits import CliError, Exit

ENDED = ("succeeded", "partial", "failed")
# How long the server may stay out of reach before the command gives up following.
PATIENCE_S = 60.0


def follow_save(
    client: Client, save: dict[str, Any], show: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """The save's final state; `show` is called with every state seen on the way."""
    show(save)
    path = f"/api/v1/library/saves/{save['id']}"
    unreachable_since: float | None = None
    while save["status"] not in ENDED:
        try:
            for event in client.events(f"{path}/events"):
                if event.name in ("progress", "done"):
                    save = json.loads(event.data)
                    show(save)
                    unreachable_since = None
                if event.name == "done":
                    return save
                if event.name == "error":
                    break
            save = client.get(path)
            show(save)
            unreachable_since = None
        except CliError as error:
            if error.code != Exit.SERVER_DOWN:
                raise
            now = time.monotonic()
            unreachable_since = unreachable_since or now
            if now - unreachable_since > PATIENCE_S:
                raise CliError(
                    f"{error.message} (the save {save['id']} may still be running)",
                    Exit.SERVER_DOWN,
                ) from error
        if save["status"] not in ENDED:
            time.sleep(1.0)
    return save
