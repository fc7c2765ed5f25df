"""ls: the saved library, kind by kind, every page of it."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

import typer

from tapedeck_cli.client import Client
from tapedeck_cli.options import JsonFlag, SaveOption, session
from tapedeck_cli.output import note, print_json_array, print_rows


class What(StrEnum):
    playlists = "playlists"
    tracks = "tracks"
    albums = "albums"
    artists = "artists"
    saves = "saves"
    downloads = "downloads"


READS = (What.playlists, What.tracks, What.albums, What.artists)

PATHS = {
    What.playlists: "/api/v1/playlists",
    What.tracks: "/api/v1/tracks",
    What.albums: "/api/v1/albums",
    What.artists: "/api/v1/artists",
    What.saves: "/api/v1/library/saves",
    What.downloads: "/api/v1/downloads",
}


def ls(
    ctx: typer.Context,
    what: Annotated[What, typer.Argument(help="What to list.")],
    playlist: Annotated[
        str | None,
        typer.Option(metavar="PLAYLIST_ID", help="With tracks: that playlist's items."),
    ] = None,
    save: SaveOption = None,
    limit: Annotated[
        int | None, typer.Option(min=1, help="List at most this many (default: all).")
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """List what the saves hold, every page of it.

    tracks are Liked Songs, or a playlist's items with --playlist; saves are the saves
    themselves and downloads the download jobs, newest first. In a terminal a table; in a pipe one tab-separated line per
    row; --json for the objects as stored.
    """
    if playlist is not None and what is not What.tracks:
        raise typer.BadParameter("--playlist goes with tracks only", param_hint="--playlist")
    if save is not None and what in (What.saves, What.downloads):
        raise typer.BadParameter(f"--save does not go with {what.value}", param_hint="--save")
    path = PATHS[what] if playlist is None else f"/api/v1/playlists/{playlist}/tracks"
    client = session(ctx).client()
    try:
        items = client.pages(path, limit=limit, save=save)
        if json_output:
            print_json_array(items)
            return
        columns, rows = _table(what, playlist is not None, items)
        if print_rows(columns, rows) == 0 and what in READS:
            _explain_empty(client, path, save)
    finally:
        client.close()


def _explain_empty(client: Client, path: str, save: str | None) -> None:
    """An empty list says why when nothing of the kind was saved yet (Tapedeck-Notice)."""
    response = client.request("GET", path, params={"limit": 1, **({"save": save} if save else {})})
    notice = response.headers.get("tapedeck-notice")
    note(notice or "Nothing here.")


def _table(
    what: What, in_playlist: bool, items: Iterator[Any]
) -> tuple[list[str], Iterator[list[str]]]:
    if what is What.playlists:
        return ["ID", "Name", "Owner", "Items"], (_playlist(p) for p in items)
    if what is What.tracks and in_playlist:
        return (
            ["#", "Added", "Title", "Artists", "Album", "Length", "Type"],
            (_entry(n, e) for n, e in enumerate(items, 1)),
        )
    if what is What.tracks:
        return (
            ["Added", "Title", "Artists", "Album", "Length"],
            (_entry(None, e)[1:-1] for e in items),
        )
    if what is What.albums:
        return ["Added", "Album", "Artists", "Released", "Tracks"], (_album(a) for a in items)
    if what is What.artists:
        return ["ID", "Name", "Genres"], (
            [a.get("id") or "", a.get("name") or "", ", ".join(a.get("genres") or [])]
            for a in items
        )
    if what is What.downloads:
        return ["ID", "Track", "Status", "Progress", "File"], (_job(j) for j in items)
    return ["ID", "Status", "Started", "Counts", "Requests"], (_save(s) for s in items)


def _playlist(p: dict[str, Any]) -> list[str]:
    extra = p.get("tapedeck") or {}
    held = "withheld" if extra.get("items_withheld") else str(extra.get("items_saved", ""))
    owner = p.get("owner") or {}
    return [
        p.get("id") or "",
        p.get("name") or "",
        owner.get("display_name") or owner.get("id") or "",
        held,
    ]


def _entry(number: int | None, entry: dict[str, Any]) -> list[str]:
    item = entry.get("item") or entry.get("track")
    added = (entry.get("added_at") or "")[:10]
    if not item:
        return [str(number or ""), added, "(no longer available)", "", "", "", ""]
    kind = "local" if entry.get("is_local") or item.get("is_local") else item.get("type", "")
    if item.get("type") == "episode":
        artists = ((item.get("show") or {}).get("publisher")) or ""
        album = (item.get("show") or {}).get("name") or ""
    else:
        artists = ", ".join(a.get("name") or "" for a in item.get("artists") or [])
        album = (item.get("album") or {}).get("name") or ""
    return [
        str(number or ""),
        added,
        item.get("name") or "",
        artists,
        album,
        _length(item.get("duration_ms")),
        kind,
    ]


def _album(saved: dict[str, Any]) -> list[str]:
    album = saved.get("album") or {}
    return [
        (saved.get("added_at") or "")[:10],
        album.get("name") or "",
        ", ".join(a.get("name") or "" for a in album.get("artists") or []),
        album.get("release_date") or "",
        str(album.get("total_tracks", "")),
    ]


def _save(s: dict[str, Any]) -> list[str]:
    counts = s.get("counts") or {}
    # Each kind the save covers, with its count once it completed ("tracks=60 albums=?").
    held = " ".join(f"{k}={counts.get(k, '?')}" for k in s.get("kinds") or [])
    return [
        s["id"],
        s["status"],
        (s.get("started_at") or s.get("created_at") or "")[:16].replace("T", " "),
        held,
        str(s.get("spotify_requests", "")),
    ]


def _job(job: dict[str, Any]) -> list[str]:
    progress = job.get("progress")
    return [
        job["id"],
        job.get("track_id") or "",
        job.get("status") or "",
        f"{progress:.0%}" if isinstance(progress, (int, float)) else "",
        job.get("file_name") or job.get("error") or "",
    ]


def _length(ms: Any) -> str:
    if not isinstance(ms, int):
        return ""
    seconds = ms // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"
