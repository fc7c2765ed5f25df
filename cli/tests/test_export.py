"""export: the server's file, byte for byte, streamed to disk under the server's safe name
or the one given; an existing file is kept unless --force; a refused export leaves nothing."""

from __future__ import annotations

import csv
import io
import json
import plistlib
import zipfile
from typing import Any

from tapedeck_cli.exits import Exit

Cli = Any


def test_exports_are_the_servers_files_byte_for_byte(
    logged_in: Cli, api: Any, one_line_error: Any
) -> None:
    logged_in.ok("save", "--wait")
    playlists = api.get("/api/v1/playlists").json()["items"]
    road_trip = next(p for p in playlists if p["name"].startswith("Road trip"))
    server_csv = api.get(f"/api/v1/exports/playlists/{road_trip['id']}.csv")
    assert server_csv.status_code == 200

    # The server's file name, in the current folder.
    wrote = logged_in.json("export", "--format", "csv", "--playlist", road_trip["id"])
    written = logged_in.cwd / "road_trip_summer_2019_🚗.csv"
    assert wrote["file"] == written.name
    assert wrote["bytes"] == len(server_csv.content)
    assert written.read_bytes() == server_csv.content

    # The CSV imported back: a source a restore can use.
    imported = logged_in.json("import", written.name)
    assert imported["format"].startswith("exportify")
    rows = list(csv.reader(io.StringIO(server_csv.content.decode())))[1:]
    [playlist] = imported["playlists"]
    assert playlist["name"] == written.stem
    assert playlist["items"] + playlist["unresolved"] == len(rows), (playlist, len(rows))

    # An existing file is kept, unless --force.
    written.write_text("mine")
    one_line_error(
        logged_in("export", "--format", "csv", "--playlist", road_trip["id"]), Exit.FAILED
    )
    assert written.read_text() == "mine"
    logged_in.ok("export", "--format", "csv", "--playlist", road_trip["id"], "--force")
    assert written.read_bytes() == server_csv.content

    # The library as a zip of JSON files, to a path given.
    logged_in.ok("export", "--format", "json", "-o", "backup.zip")
    with zipfile.ZipFile(logged_in.cwd / "backup.zip") as archive:
        assert archive.namelist()[-1] == "manifest.json"
        in_zip = json.loads(archive.read("playlists.json"))
    assert [entry["playlist"]["id"] for entry in in_zip] == [p["id"] for p in playlists]

    # iTunes XML to stdout, for a pipe.
    xml = logged_in.ok("export", "--format", "xml", "-o", "-").stdout
    library = plistlib.load(io.BytesIO(xml.encode()))
    assert len(library["Playlists"]) == len(playlists)

    # Nothing of a refused export is left behind.
    before = sorted(p.name for p in logged_in.cwd.iterdir())
    line = one_line_error(logged_in("export", "--format", "csv", "--save", "0" * 32), Exit.FAILED)
    assert "404" in line
    assert sorted(p.name for p in logged_in.cwd.iterdir()) == before
