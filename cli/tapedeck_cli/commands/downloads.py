"""download: queue tracks for download (a playlist's, Liked Songs, or some), and follow the
jobs to their end. The download jobs have no event stream, so they are polled."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from tapedeck_cli.client import Client
from tapedeck_cli.exits import CliError, Exit
from tapedeck_cli.options import JsonFlag, session
from tapedeck_cli.output import note, print_json, stderr

JOB_ENDED = ("succeeded", "failed", "cancelled")
POLL_S = 0.5
# Jobs asked about per poll: the queue runs roughly in order, so the first unfinished ones
# are those that move; a 10,000-track queue costs no more requests a poll than a small one.
POLLED = 8


def download(
    ctx: typer.Context,
    playlist: Annotated[
        str | None, typer.Option(metavar="PLAYLIST_ID", help="Every track of this playlist.")
    ] = None,
    liked: Annotated[bool, typer.Option("--liked", help="Every Liked Song.")] = False,
    tracks: Annotated[
        list[str] | None,
        typer.Option("--track", metavar="TRACK_ID", help="A track id or URI; repeatable."),
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="youtube, soundcloud or url (default: the server's).")
    ] = None,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Follow the jobs to their end; exit 0 only if all succeeded."),
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Download tracks' audio on the server.

    A track already downloaded or queued is not queued again.
    """
    given = sum((playlist is not None, liked, bool(tracks)))
    if given != 1:
        raise typer.BadParameter("give one of --playlist ID, --liked or --track ID")
    body: dict[str, Any] = (
        {"playlist_id": playlist} if playlist else {"liked": True} if liked else {"tracks": tracks}
    )
    if source:
        body["source"] = source
    client = session(ctx).client()
    try:
        jobs: list[dict[str, Any]] = client.post("/api/v1/downloads", body).json()["items"]
        if wait:
            jobs = _follow(client, jobs, show=not json_output)
    finally:
        client.close()
    if json_output:
        print_json({"items": jobs})
    counts = {
        status: sum(1 for j in jobs if j["status"] == status)
        for status in {j["status"] for j in jobs}
    }
    if not json_output:
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing"
        note(Text(f"{len(jobs)} download jobs: {summary}"))
    if wait and any(j["status"] != "succeeded" for j in jobs):
        failed = next(j for j in jobs if j["status"] != "succeeded")
        raise CliError(
            f"{len(jobs) - counts.get('succeeded', 0)} of {len(jobs)} downloads did not succeed "
            f"(first: track {failed['track_id']}, {failed['status']}: {failed.get('error') or 'no reason given'})",
            Exit.SAVE_FAILED,
        )


def _follow(client: Client, jobs: list[dict[str, Any]], show: bool) -> list[dict[str, Any]]:
    by_id = {job["id"]: job for job in jobs}
    with Progress(
        TextColumn("downloads"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        console=stderr(),
        disable=not show,
    ) as bars:
        task = bars.add_task("downloads", total=len(jobs), failed=0)
        while True:
            open_jobs = [j for j in by_id.values() if j["status"] not in JOB_ENDED]
            ended = len(by_id) - len(open_jobs)
            failed = sum(1 for j in by_id.values() if j["status"] in ("failed", "cancelled"))
            running = sum(float(j.get("progress") or 0) for j in open_jobs)
            bars.update(task, completed=ended + running, failed=failed)
            if not open_jobs:
                break
            time.sleep(POLL_S)
            for job in open_jobs[:POLLED]:
                by_id[job["id"]] = client.get(f"/api/v1/downloads/{job['id']}")
    return [by_id[job["id"]] for job in jobs]
