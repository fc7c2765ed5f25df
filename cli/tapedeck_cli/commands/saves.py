"""save and diff: start a save of the library (and follow it), compare two saves."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.text import Text

from tapedeck_cli.exits import CliError, Exit
from tapedeck_cli.follow import follow_save
from tapedeck_cli.options import JsonFlag, session
from tapedeck_cli.output import note, print_json, stdout
from tapedeck_cli.progress import SaveProgress

KINDS = ("playlists", "tracks", "albums", "artists")


def _kinds(value: str | None) -> list[str] | None:
    if value is None:
        return None
    kinds = [kind.strip() for kind in value.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in KINDS]
    if unknown or not kinds:
        raise typer.BadParameter(
            f"{', '.join(unknown) or 'nothing'} is not a kind; use a comma-separated list of "
            f"{', '.join(KINDS)}"
        )
    return kinds


def save(
    ctx: typer.Context,
    kinds: Annotated[
        str | None,
        typer.Option(
            metavar="KIND,…",
            help=f"Save only these kinds (comma-separated: {', '.join(KINDS)}); default all.",
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Fetch everything again, not only what changed.")
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Follow the save to its end with a bar per kind; exit 0 only if it succeeded.",
        ),
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Save the library from Spotify (incrementally unless --full)."""
    chosen = _kinds(kinds)
    body: dict[str, Any] = {"full": full}
    if chosen is not None:
        body["kinds"] = chosen
    client = session(ctx).client()
    try:
        try:
            started: dict[str, Any] = client.post("/api/v1/library/saves", body).json()
        except CliError as error:
            running = error.body.get("save")
            if error.status == 409 and isinstance(running, dict):
                raise CliError(
                    f"a save is already running ({running.get('id')}, {running.get('status')});"
                    " wait for it to end (tapedeck ls saves)",
                    Exit.FAILED,
                    status=409,
                ) from error
            raise
        if not wait:
            if json_output:
                print_json(started)
            else:
                sys.stdout.write(started["id"] + "\n")
                note(f"Save {started['id']} started; tapedeck ls saves shows how it ends.")
            return
        try:
            with SaveProgress(enabled=not json_output) as bars:
                final = follow_save(client, started, bars.show)
        except KeyboardInterrupt:
            note(f"Stopped following; the save {started['id']} goes on (tapedeck ls saves).")
            raise typer.Exit(130) from None
    finally:
        client.close()
    if json_output:
        print_json(final)
    else:
        note(_summary(final))
    if final["status"] != "succeeded":
        reason = final.get("error") or {}
        kinds_failed = ", ".join(reason.get("kinds") or [])
        raise CliError(
            f"the save {final['id']} ended {final['status']}"
            + (f" ({kinds_failed} failed)" if kinds_failed else "")
            + f": {reason.get('message', 'no reason given')} ({reason.get('code', 'unknown')})",
            Exit.SAVE_FAILED,
        )


def _summary(save: dict[str, Any]) -> str:
    counts = save.get("counts") or {}
    held = ", ".join(f"{counts[k]} {k}" for k in KINDS if k in counts) or "no kind completed"
    return (
        f"Save {save['id']} {save['status']}: {held} "
        f"({save.get('spotify_requests', 0)} Spotify requests)."
    )


def diff(
    ctx: typer.Context,
    from_save: Annotated[
        str | None,
        typer.Argument(
            metavar="[FROM]", help="The older save (default: the succeeded save before TO)."
        ),
    ] = None,
    to_save: Annotated[
        str | None,
        typer.Argument(metavar="[TO]", help="The newer save (default: the newest succeeded one)."),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """What changed between two saves: playlists, their tracks, Liked Songs, albums, artists."""
    client = session(ctx).client()
    try:
        changes = client.get("/api/v1/library/diff", **{"from": from_save, "to": to_save})
    finally:
        client.close()
    if json_output:
        print_json(changes)
        return
    out = stdout()
    if changes.get("from") is None:
        out.print(Text(f"Only one save so far ({changes['to']}): nothing to compare."))
        return
    out.print(Text(f"Changes from save {changes['from']} to {changes['to']}"))
    playlists = changes["playlists"]
    out.print(
        Text(
            f"Playlists: {len(playlists['added'])} added, {len(playlists['removed'])} removed, "
            f"{len(playlists['changed'])} changed"
        )
    )
    _items(out, playlists["added"], playlists["removed"], indent="  ")
    for changed in playlists["changed"]:
        out.print(
            Text(
                f"  ~ {changed['name']}: {len(changed['tracks_added'])} added, "
                f"{len(changed['tracks_removed'])} removed"
            )
        )
        _items(out, changed["tracks_added"], changed["tracks_removed"], indent="      ")
    for kind, title in (("tracks", "Liked Songs"), ("albums", "Albums"), ("artists", "Artists")):
        part = changes[kind]
        out.print(Text(f"{title}: {len(part['added'])} added, {len(part['removed'])} removed"))
        _items(out, part["added"], part["removed"], indent="  ")


def _items(out: Any, added: list[Any], removed: list[Any], indent: str) -> None:
    for sign, style, items in (("+", "green", added), ("-", "red", removed)):
        for item in items:
            name = item.get("name") or item.get("uri") or item.get("id") or "(unnamed)"
            out.print(Text(f"{indent}{sign} {name}", style=style))
