"""history: a playlist's timeline, computed by the server from the stored saves."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tapedeck_cli.options import JsonFlag, session
from tapedeck_cli.output import print_json_array, print_rows

TYPES = (
    "added",
    "removed",
    "moved",
    "renamed",
    "description_changed",
    "playlist_added",
    "playlist_removed",
    "withheld",
    "visible",
)


def history(
    ctx: typer.Context,
    playlist: Annotated[str, typer.Argument(metavar="PLAYLIST_ID", help="The playlist.")],
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            metavar="TYPE",
            help=f"Only events of this type ({', '.join(TYPES)}); repeatable.",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most this many events (default: all).")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """A playlist's history, newest first: items added, removed and moved, renames."""
    unknown = [t for t in types or [] if t not in TYPES]
    if unknown:
        raise typer.BadParameter(f"{', '.join(unknown)}: not an event type", param_hint="--type")
    client = session(ctx).client()
    try:
        events = client.pages(
            f"/api/v1/playlists/{playlist}/history", limit=limit, type=types or None
        )
        if json_output:
            print_json_array(events)
            return
        print_rows(["At", "Type", "What", "Position"], (_row(e) for e in events))
    finally:
        client.close()


def _row(event: dict[str, Any]) -> list[str]:
    item = event.get("item") or {}
    if event.get("before") is not None or event.get("after") is not None:
        what = f"{event.get('before') or ''} → {event.get('after') or ''}"
    else:
        artists = ", ".join(a.get("name") or "" for a in item.get("artists") or [])
        what = (item.get("name") or event.get("uri") or "") + (f" ({artists})" if artists else "")
    position = event.get("position")
    moved = event.get("from_position")
    place = "" if position is None else str(position)
    if moved is not None and position is not None:
        place = f"{moved} → {position}"
    return [(event.get("at") or "")[:16].replace("T", " "), event.get("type") or "", what, place]
