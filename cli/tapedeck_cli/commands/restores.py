"""import and restore: bring a file into Tapedeck, and write a save or an import back into
the Spotify account."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from tapedeck_cli.exits import CliError, Exit
from tapedeck_cli.follow import follow
from tapedeck_cli.options import JsonFlag, session
from tapedeck_cli.output import note, print_json, print_rows, stderr

RESTORE_ENDED = ("succeeded", "partial", "failed", "cancelled")


def import_file(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="An Exportify CSV (or its zip of CSVs) or a Tapedeck JSON zip (export -f json).",
        ),
    ],
    json_output: JsonFlag = False,
) -> None:
    """Import a file as a source to restore from (restore --import ID)."""
    kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    client = session(ctx).client()
    try:
        with file.open("rb") as body:
            imported: dict[str, Any] = client.request(
                "POST", "/api/v1/imports", files={"file": (file.name, body, kind)}
            ).json()
    finally:
        client.close()
    if json_output:
        print_json(imported)
        return
    rows = [
        [p["id"], p["name"], str(p["items"]), str(p["unresolved"])] for p in imported["playlists"]
    ]
    print_rows(["ID", "Playlist", "Items", "Unresolved"], rows)
    note(
        Text(
            f"Import {imported['id']} ({imported['format']}): {len(imported['playlists'])} "
            f"playlists, {imported['liked']} liked songs, {imported['albums']} albums; "
            f"restore it with tapedeck restore --import {imported['id']}"
        )
    )


def restore(
    ctx: typer.Context,
    save: Annotated[
        str | None,
        typer.Option(metavar="SAVE_ID", help="Restore from this save (default: the newest)."),
    ] = None,
    from_import: Annotated[
        str | None,
        typer.Option("--import", metavar="IMPORT_ID", help="Restore from an import instead."),
    ] = None,
    playlists: Annotated[
        list[str] | None,
        typer.Option(
            "--playlist", metavar="PLAYLIST_ID", help="A playlist of the source; repeatable."
        ),
    ] = None,
    all_playlists: Annotated[
        bool, typer.Option("--all", help="Every playlist of the source.")
    ] = False,
    liked: Annotated[bool, typer.Option("--liked", help="Liked Songs too.")] = False,
    albums: Annotated[bool, typer.Option("--albums", help="Saved albums too.")] = False,
    mode: Annotated[
        str,
        typer.Option(
            help="new: create private playlists named as they were; replace: make your "
            "playlist of the same id equal to the source.",
        ),
    ] = "new",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show the plan; change nothing.")
    ] = False,
    wait: Annotated[bool, typer.Option("--wait", help="Follow the restore to its end.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Write a save (or an import) back into your Spotify account."""
    if save and from_import:
        raise typer.BadParameter("give --save or --import, not both")
    if all_playlists and playlists:
        raise typer.BadParameter("give --playlist or --all, not both")
    if not (all_playlists or playlists or liked or albums):
        raise typer.BadParameter(
            "nothing to restore: give --playlist ID, --all, --liked or --albums"
        )
    if mode not in ("new", "replace"):
        raise typer.BadParameter("new or replace", param_hint="--mode")
    body: dict[str, Any] = {
        "playlists": "all" if all_playlists else (playlists or []),
        "liked": liked,
        "albums": albums,
        "mode": mode,
        "dry_run": dry_run,
    }
    if save:
        body["source"] = {"save": save}
    elif from_import:
        body["source"] = {"import": from_import}
    current = session(ctx)
    client = current.client()
    try:
        try:
            started: dict[str, Any] = client.post("/api/v1/restores", body).json()
        except CliError as error:
            if error.status == 403 and error.body.get("error", {}).get("code") == "scope_required":
                url = f"{current.server}{error.body.get('login_url', '/auth/login?scope=restore')}"
                raise CliError(
                    f"restoring needs Spotify's write permission: log in once at {url}, "
                    "then tapedeck login with the new token",
                    Exit.NOT_LOGGED_IN,
                    status=403,
                ) from error
            raise
        final = started
        if wait and not dry_run:
            with Progress(
                TextColumn("restore"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                console=stderr(),
                disable=json_output,
            ) as bars:
                task = bars.add_task("restore", total=None, status=started["status"])

                def show(state: dict[str, Any]) -> None:
                    progress = state.get("progress") or {}
                    bars.update(
                        task,
                        completed=progress.get("done") or 0,
                        total=progress.get("total") or None,
                        status=state["status"],
                    )

                final = follow(
                    client, started, f"/api/v1/restores/{started['id']}", RESTORE_ENDED, show
                )
    finally:
        client.close()
    if json_output:
        print_json(final)
    else:
        _show(final)
    if (wait and not dry_run) and final["status"] != "succeeded":
        reason = final.get("error") or {}
        raise CliError(
            f"the restore {final['id']} ended {final['status']}: "
            f"{reason.get('message', 'no reason given')} ({reason.get('code', 'unknown')})",
            Exit.SAVE_FAILED,
        )


def _show(restore: dict[str, Any]) -> None:
    plan = restore.get("plan") or {}
    rows = [
        [
            p.get("source_id") or "",
            p.get("name") or "",
            p.get("action") or "",
            str(p.get("add", 0)),
            str(p.get("remove", 0)),
            str(len(p.get("not_restorable") or [])),
        ]
        for p in plan.get("playlists") or []
    ]
    print_rows(["ID", "Playlist", "Action", "Add", "Remove", "Not restorable"], rows)
    liked = plan.get("liked") or {}
    if liked:
        dates = "original dates kept" if liked.get("dates_kept") else "liked now, dates not kept"
        note(Text(f"Liked Songs: {liked.get('add', 0)} to add ({dates})"))
    what = "Dry run" if restore.get("dry_run") else "Restore"
    note(Text(f"{what} {restore['id']}: {restore['status']}"))
