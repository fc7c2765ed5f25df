"""The whole-library zip (docs/api.md "Exports"): the zip writer alone, in milliseconds, then
the route through the whole stack on the emulator."""

from __future__ import annotations

import asyncio
import io
import json
import random
import zipfile
from collections.abc import AsyncIterator
from datetime import datetime
from importlib.metadata import version
from typing import Any

from gateway.exports import names
from gateway.exports.archives import CHUNK, Member, json_array, json_values, zip_stream
from spotify_emulator import Emulator

WHEN = datetime(2026, 3, 1, 12, 30, 15)


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def _members(*members: tuple[str, list[bytes]]) -> AsyncIterator[Member]:
    for name, parts in members:
        yield name, _chunks(*parts)


def _zip(members: AsyncIterator[Member], large: tuple[str, ...] = ()) -> bytes:
    async def collect() -> bytes:
        return b"".join([chunk async for chunk in zip_stream(members, WHEN, large)])

    return asyncio.run(collect())


def test_the_zip_holds_each_member_in_order_with_its_bytes_and_date() -> None:
    data = _zip(
        _members(
            ("liked.csv", [b'"a","b"\n', b'"1","2"\n']),
            ("caf\u00e9 \U0001f3b5.csv", [b"x" * 100_000, b"y"]),
            ("empty.csv", []),
        )
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == ["liked.csv", "caf\u00e9 \U0001f3b5.csv", "empty.csv"]
        assert archive.read("liked.csv") == b'"a","b"\n"1","2"\n'
        assert archive.read("caf\u00e9 \U0001f3b5.csv") == b"x" * 100_000 + b"y"
        assert archive.read("empty.csv") == b""
        info = archive.getinfo("liked.csv")
        assert info.date_time == (2026, 3, 1, 12, 30, 14)  # zip keeps even seconds
        assert info.compress_type == zipfile.ZIP_DEFLATED


def test_a_large_member_is_written_with_zip64_fields_and_still_reads_back() -> None:
    data = _zip(_members(("tracks.json", [b"[]\n"]), ("a.csv", [b"a"])), large=("tracks.json",))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("tracks.json") == b"[]\n"
        assert archive.read("a.csv") == b"a"
    # Zip64's extra field (header id 0x0001) in the large member's local header only.
    assert data.startswith(b"PK\x03\x04")
    name_length, extra_length = int.from_bytes(data[26:28], "little"), data[28:30]
    assert name_length == len("tracks.json")
    assert int.from_bytes(extra_length, "little") > 0


def test_bytes_go_out_before_the_last_member_is_read() -> None:
    """The archive is written as its members arrive: a consumer holds bytes of the first
    member while the second has not been asked for yet."""
    asked: list[str] = []
    out_before_second: list[int] = []
    taken = 0

    async def members() -> AsyncIterator[Member]:
        asked.append("first")
        # Random bytes, which deflate cannot shrink below a chunk.
        noise = random.Random(1).randbytes(4 * CHUNK)
        yield "first.csv", _chunks(*[noise[i : i + 1000] for i in range(0, len(noise), 1000)])
        out_before_second.append(taken)
        asked.append("second")
        yield "second.csv", _chunks(b"z")

    async def consume() -> bytes:
        nonlocal taken
        parts = []
        async for chunk in zip_stream(members(), WHEN):
            taken += len(chunk)
            parts.append(chunk)
        return b"".join(parts)

    data = asyncio.run(consume())
    assert asked == ["first", "second"]
    assert out_before_second[0] > 0
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("second.csv") == b"z"


def test_json_arrays_stream_encoded_values_and_values_streamed_in_pieces() -> None:
    async def pages(*pages: list[bytes]) -> AsyncIterator[list[bytes]]:
        for page in pages:
            yield page

    async def collect(parts: AsyncIterator[bytes]) -> Any:
        return json.loads(b"".join([part async for part in parts]))

    assert asyncio.run(collect(json_array(pages()))) == []
    assert asyncio.run(collect(json_array(pages([], [b'{"a": 1}', b"[2]"], [b'"\\u00e9"'])))) == [
        {"a": 1},
        [2],
        "\u00e9",
    ]

    async def values() -> AsyncIterator[AsyncIterator[bytes]]:
        yield _chunks(
            b'{"p": 1, "items": ', *[p async for p in json_array(pages([b"1", b"2"]))], b"}"
        )
        yield _chunks(b'{"p": 2, "items": ', *[p async for p in json_array(pages())], b"}")

    async def nothing() -> AsyncIterator[AsyncIterator[bytes]]:
        return
        yield _chunks()

    assert asyncio.run(collect(json_values(values()))) == [
        {"p": 1, "items": [1, 2]},
        {"p": 2, "items": []},
    ]
    assert asyncio.run(collect(json_values(nothing()))) == []


# --- the route, through the whole stack -------------------------------------------------


def _zip_of(answer: Any) -> dict[str, bytes]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def _csv_zip_from_reads(api: Any, **params: str) -> dict[str, bytes]:
    """The CSV zip as the single exports give its files: liked.csv, then each playlist's
    CSV under Exportify's name, a repeated name numbered."""
    namer = names.Namer()
    files = {namer.name("liked.csv"): api.get("/api/v1/exports/tracks.csv", **params).content}
    for playlist in api.all("/api/v1/playlists", **params):
        answer = api.get(f"/api/v1/exports/playlists/{playlist['id']}.csv", **params)
        assert answer.status_code == 200, answer.text
        files[namer.name(names.playlist_file(playlist["name"]))] = answer.content
    return files


def _json_zip_from_reads(api: Any, **params: str) -> dict[str, Any]:
    return {
        "playlists.json": [
            {"playlist": p, "items": api.all(f"/api/v1/playlists/{p['id']}/tracks", **params)}
            for p in api.all("/api/v1/playlists", **params)
        ],
        "tracks.json": api.all("/api/v1/tracks", **params),
        "albums.json": api.all("/api/v1/albums", **params),
        "artists.json": api.all("/api/v1/artists", **params),
    }


def test_the_csv_zip_holds_liked_songs_and_each_playlist_as_its_own_export(api: Any) -> None:
    api.save()
    answer = api.get("/api/v1/exports/library.zip")
    files = _zip_of(answer)
    assert answer.headers["content-disposition"] == names.content_disposition(
        "spotify_playlists.zip"
    )
    assert files == _csv_zip_from_reads(api)
    assert list(files)[0] == "liked.csv"
    assert len(files) == 1 + len(api.all("/api/v1/playlists"))
    # The tiny library's two playlists named "Favourites" are both there, and the one
    # named "../../etc/passwd" is a plain file at the top of the zip.
    assert {"favourites.csv", "favourites (1).csv"} <= set(files)
    assert files["favourites.csv"] != files["favourites (1).csv"]
    assert all("/" not in name and "\\" not in name and ".." not in name for name in files)
    assert _zip_of(api.get("/api/v1/exports/library.zip", format="csv")) == files


def test_the_json_zip_holds_every_kinds_stored_objects_and_a_manifest(api: Any) -> None:
    save = api.save()
    answer = api.get("/api/v1/exports/library.zip", format="json")
    files = _zip_of(answer)
    assert answer.headers["content-disposition"] == names.content_disposition(
        "tapedeck_library.zip"
    )
    assert answer.headers["x-tapedeck-save"] == save["id"]
    assert list(files) == [
        "playlists.json",
        "tracks.json",
        "albums.json",
        "artists.json",
        "manifest.json",
    ]
    expected = _json_zip_from_reads(api)
    for name, objects in expected.items():
        assert json.loads(files[name]) == objects, name
    manifest = json.loads(files["manifest.json"])
    assert manifest["format"] == "tapedeck-library"
    assert manifest["tapedeck_version"] == version("tapedeck-gateway")
    assert manifest["save"] is None
    exported_at = datetime.fromisoformat(manifest["exported_at"].replace("Z", "+00:00"))
    assert exported_at >= datetime.fromisoformat(save["finished_at"].replace("Z", "+00:00"))
    playlists = expected["playlists.json"]
    assert manifest["kinds"] == {
        "playlists": {
            "file": "playlists.json",
            "save_id": save["id"],
            "count": len(playlists),
            "items": sum(len(p["items"]) for p in playlists),
        },
        **{
            kind: {
                "file": f"{kind}.json",
                "save_id": save["id"],
                "count": len(expected[f"{kind}.json"]),
            }
            for kind in ("tracks", "albums", "artists")
        },
    }


def test_an_unknown_format_is_400_with_the_error_body(api: Any) -> None:
    api.save()
    answer = api.get("/api/v1/exports/library.zip", format="xml")
    assert answer.status_code == 400
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["error"]["code"] == "bad_request"


def test_an_older_save_exports_exactly_that_save(api: Any, emulator: Emulator) -> None:
    older = api.save()
    truth = emulator.user("tapedeck-demo")
    pid = next(p["id"] for p in truth.playlists_simplified() if p["name"] == "Favourites")
    truth.change_playlist(pid, add=3, remove=2)
    truth.like_tracks(4)
    newer = api.save()
    assert newer["id"] != older["id"]

    csv_older = _zip_of(api.get("/api/v1/exports/library.zip", save=older["id"]))
    assert csv_older == _csv_zip_from_reads(api, save=older["id"])
    assert csv_older != _zip_of(api.get("/api/v1/exports/library.zip"))

    json_older = _zip_of(api.get("/api/v1/exports/library.zip", format="json", save=older["id"]))
    for name, objects in _json_zip_from_reads(api, save=older["id"]).items():
        assert json.loads(json_older[name]) == objects, name
    manifest = json.loads(json_older["manifest.json"])
    assert manifest["save"] == older["id"]
    assert {k["save_id"] for k in manifest["kinds"].values()} == {older["id"]}


def test_a_save_of_some_kinds_exports_those_and_an_unknown_save_is_404(api: Any) -> None:
    full = api.save()
    liked_only = api.save(kinds=["tracks"])
    csv = _zip_of(api.get("/api/v1/exports/library.zip", save=liked_only["id"]))
    assert list(csv) == ["liked.csv"]
    files = _zip_of(api.get("/api/v1/exports/library.zip", format="json", save=liked_only["id"]))
    assert list(files) == ["tracks.json", "manifest.json"]
    kinds = json.loads(files["manifest.json"])["kinds"]
    assert kinds["tracks"]["save_id"] == liked_only["id"]
    assert kinds["playlists"] == {"file": None, "save_id": None, "count": 0}
    # Without `save`, each kind from its newest save: Liked Songs from the second, the
    # rest from the first; the manifest says which, and no single save is named.
    newest = api.get("/api/v1/exports/library.zip", format="json")
    assert "x-tapedeck-save" not in newest.headers
    kinds = json.loads(_zip_of(newest)["manifest.json"])["kinds"]
    assert {kind: k["save_id"] for kind, k in kinds.items()} == {
        "playlists": full["id"],
        "tracks": liked_only["id"],
        "albums": full["id"],
        "artists": full["id"],
    }
    missing = api.get("/api/v1/exports/library.zip", save="0" * 26)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
