"""export: the saved library as files, streamed from the server to disk."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from email.message import Message
from email.utils import collapse_rfc2231_value
from enum import StrEnum
from pathlib import Path
from typing import Annotated, BinaryIO

import httpx
import typer
from rich.text import Text

from tapedeck_cli.exits import CliError, Exit
from tapedeck_cli.options import JsonFlag, SaveOption, session
from tapedeck_cli.output import note, print_json


class Format(StrEnum):
    csv = "csv"
    json = "json"
    xml = "xml"
    m3u8 = "m3u8"


def _route(fmt: Format, playlist: str | None, liked: bool) -> tuple[str, dict[str, str]]:
    """The export route of docs/api.md ("Exports") for what was asked."""
    if playlist is not None and liked:
        raise typer.BadParameter("give --playlist or --liked, not both")
    if fmt is Format.csv:
        if playlist is not None:
            return f"/api/v1/exports/playlists/{playlist}.csv", {}
        if liked:
            return "/api/v1/exports/tracks.csv", {}
        return "/api/v1/exports/library.zip", {"format": "csv"}
    if fmt is Format.m3u8:
        if playlist is None or liked:
            raise typer.BadParameter("m3u8 exports one playlist: give --playlist")
        return f"/api/v1/exports/playlists/{playlist}.m3u8", {}
    if playlist is not None or liked:
        raise typer.BadParameter(f"{fmt.value} exports the whole library: drop --playlist/--liked")
    if fmt is Format.json:
        return "/api/v1/exports/library.zip", {"format": "json"}
    return "/api/v1/exports/library.xml", {}


def export(
    ctx: typer.Context,
    fmt: Annotated[
        Format,
        typer.Option(
            "--format",
            "-f",
            help="csv: Exportify's CSV (every playlist and Liked Songs in a zip, or one with "
            "--playlist/--liked); json: every kind's objects in a zip; xml: an iTunes "
            "Library XML; m3u8: a playlist's downloaded tracks.",
        ),
    ] = Format.csv,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The file to write ('-' for stdout), or a folder for the server's file name; "
            "default: the server's file name in the current folder.",
        ),
    ] = None,
    playlist: Annotated[
        str | None, typer.Option(metavar="PLAYLIST_ID", help="Export this playlist only.")
    ] = None,
    liked: Annotated[bool, typer.Option("--liked", help="Export Liked Songs only (csv).")] = False,
    save: SaveOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Export the saved library to a file.

    The file is written as it arrives and appears only once complete: a failed export
    leaves nothing half-written behind.
    """
    path, params = _route(fmt, playlist, liked)
    if save is not None:
        params["save"] = save
    to_stdout = output is not None and str(output) == "-"
    if output is not None and not to_stdout and not output.is_dir() and output.exists():
        _refuse_existing(output, force)
    client = session(ctx).client()
    try:
        with client.download(path, **params) as response:
            if to_stdout:
                _copy(response, sys.stdout.buffer)
                return
            target = _target(output, response)
            _refuse_existing(target, force)
            written = _write(response, target)
            from_save = response.headers.get("x-tapedeck-save")
    finally:
        client.close()
    if json_output:
        print_json({"file": str(target), "bytes": written, "save": from_save})
    else:
        note(
            Text(
                f"Wrote {target} ({written:,} bytes"
                + (f", save {from_save})" if from_save else ")")
            )
        )


def _target(output: Path | None, response: httpx.Response) -> Path:
    name = _file_name(response.headers.get("content-disposition", "")) or "export"
    if output is None:
        return Path(name)
    return output / name if output.is_dir() else output


def _file_name(disposition: str) -> str:
    """The server's file name (RFC 6266: `filename*`, the exact name, over `filename`, its
    ASCII stand-in), without any folder in it: the server already makes it safe, and this
    keeps another server from writing elsewhere."""
    message = Message()
    message["content-disposition"] = disposition
    plain, exact = "", ""
    for key, value in message.get_params(header="content-disposition") or []:
        if key != "filename":
            continue
        if isinstance(value, tuple):  # filename*=UTF-8''…, RFC 2231
            exact = collapse_rfc2231_value(value)
        else:
            plain = value
    name = (exact or plain).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "" if name in ("", ".", "..") else name


def _refuse_existing(target: Path, force: bool) -> None:
    if target.exists() and not force:
        raise CliError(f"{target} exists; --force replaces it", Exit.FAILED)


def _write(response: httpx.Response, target: Path) -> int:
    """Streams into a temporary file beside the target, renamed over it once complete."""
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise CliError(f"cannot write to {folder}: {exc.strerror}", Exit.FAILED) from exc
    try:
        with os.fdopen(fd, "wb") as out:
            written = _copy(response, out)
        # mkstemp's file is the user's alone; an export gets the mode any new file would.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return written


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _copy(response: httpx.Response, out: BinaryIO) -> int:
    written = 0
    for chunk in response.iter_bytes():
        out.write(chunk)
        written += len(chunk)
    return written
