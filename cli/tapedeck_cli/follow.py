"""Following a save (or a restore) to its end through its event stream, and through the
stream's hiccups: when the gateway restarts, or the library service does, the stream ends
with an `error` event while the job goes on (docs/api.md), so the job is read again and
followed anew."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tapedeck_cli.client import Client
from tapedeck_cli.exits import CliError, Exit

SAVE_ENDED = ("succeeded", "partial", "failed")
# How long the server may stay out of reach before the command gives up following.
PATIENCE_S = 60.0


def follow(
    client: Client,
    job: dict[str, Any],
    path: str,
    ended: tuple[str, ...],
    show: Callable[[dict[str, Any]], None],
) -> dict[str, Any]:
    """The final state of the job at `path` (its stream at `path`/events); `show` is called
    with every state seen on the way."""
    show(job)
    unreachable_since: float | None = None
    while job["status"] not in ended:
        try:
            for event in client.events(f"{path}/events"):
                if event.name in ("progress", "done"):
                    job = json.loads(event.data)
                    show(job)
                if event.name == "done":
                    return job
                if event.name == "error":
                    break
            job = client.get(path)
            show(job)
            unreachable_since = None
        except CliError as error:
            if error.code != Exit.SERVER_DOWN:
                raise
            now = time.monotonic()
            unreachable_since = unreachable_since or now
            if now - unreachable_since > PATIENCE_S:
                raise CliError(
                    f"{error.message} ({path} may still be running)", Exit.SERVER_DOWN
                ) from error
        if job["status"] not in ended:
            time.sleep(1.0)
    return job


def follow_save(
    client: Client, save: dict[str, Any], show: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    return follow(client, save, f"/api/v1/library/saves/{save['id']}", SAVE_ENDED, show)
