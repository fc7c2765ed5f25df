"""Imports through the gateway: the first account's JSON zip export restored into a second,
emptied account (Liked Songs and albums then equal the first's); Exportify CSVs of both
layouts and a URI list; bad files refused whole with 400, nothing kept."""

from __future__ import annotations

import io
import zipfile

import requests
from teststack.stack import Stack

from spotify_emulator import Emulator

from .conftest import Api, login_with_write_scopes, spotify

FIRST, SECOND = "tapedeck-demo", "second-account"


def empty_library(emulator: Emulator, user: str) -> None:
    hand = spotify(emulator, user)
    account = emulator.user(user)
    uris = [s["track"]["uri"] for s in account.saved_tracks()]
    uris += [s["album"]["uri"] for s in account.saved_albums()]
    for start in range(0, len(uris), 40):
        gone = hand.delete(
            f"{emulator.api_url}/me/library", params={"uris": ",".join(uris[start : start + 40])}
        )
        assert gone.ok, gone.text
    assert account.saved_tracks() == [] and account.saved_albums() == []


def upload(api: Api, data: bytes, name: str) -> requests.Response:
    return api.session.post(f"{api.url}/api/v1/imports", files={"file": (name, data)}, timeout=60)


def test_liked_songs_and_albums_move_to_an_empty_account_through_the_json_zip(
    emulator: Emulator, stack: Stack, api: Api
) -> None:
    assert api.save()["status"] == "succeeded"
    exported = api.get("/api/v1/exports/library.zip", format="json")
    assert exported.status_code == 200
    second = Api(stack.url, login_with_write_scopes(stack.url, SECOND))
    empty_library(emulator, SECOND)
    emulator.reset_stats()

    made = upload(second, exported.content, "library.zip")
    assert made.status_code == 201, made.text
    imported = made.json()
    first = emulator.user(FIRST)
    assert imported["format"] == "tapedeck_json"
    assert imported["liked"] == len(first.saved_tracks())
    assert imported["albums"] == len(first.saved_albums())
    body = {"source": {"import": imported["id"]}, "liked": True, "albums": True}
    dry = second.post("/api/v1/restores", body | {"dry_run": True})
    assert dry.status_code == 200, dry.text
    plan = dry.json()["plan"]
    assert plan["liked"]["add"] == imported["liked"] and plan["liked"]["not_restorable"] == []
    assert emulator.writes()["total"] == 0

    done = second.restore(body)

    assert done["status"] == "succeeded", done
    assert done["source"] == {"import": imported["id"]}
    theirs = emulator.user(SECOND)
    assert [s["track"]["uri"] for s in theirs.saved_tracks()] == [
        s["track"]["uri"] for s in first.saved_tracks()
    ]
    assert [s["album"]["uri"] for s in theirs.saved_albums()] == [
        s["album"]["uri"] for s in first.saved_albums()
    ]
    # 40 URIs per call, no more calls than that allows.
    wanted = imported["liked"] + imported["albums"]
    assert emulator.writes()["PUT /v1/me/library"] == -(-imported["liked"] // 40) + -(
        -imported["albums"] // 40
    )
    assert wanted > 40
    # The import is the second account's alone.
    assert api.get(f"/api/v1/imports/{imported['id']}").status_code == 404
    assert second.get(f"/api/v1/imports/{imported['id']}").status_code == 200


def exportify_csv(uris: list[str], header: list[str], column: int = 0) -> bytes:
    lines = [",".join(f'"{h}"' for h in header)]
    for uri in uris:
        cells = ["x"] * len(header)
        cells[column] = uri
        lines.append(",".join(f'"{c}"' for c in cells))
    return ("\n".join(lines) + "\n").encode()


def test_both_exportify_layouts_and_a_uri_list_import_and_restore(
    emulator: Emulator, api: Api
) -> None:
    from gateway.exports.exportify import HEADER

    uris = [s["track"]["uri"] for s in emulator.user(FIRST).saved_tracks()[:5]]
    classic = upload(api, exportify_csv([*uris, "garbage", uris[0]], list(HEADER)), "Mine.csv")
    assert classic.status_code == 201, classic.text
    assert classic.json()["format"] == "exportify"
    assert classic.json()["playlists"][0] | {"id": ""} == {
        "id": "",
        "name": "Mine",
        "items": 6,
        "unresolved": 1,
    }
    extended_header = [
        "Track URI", "Track Name", "Album Name", "Artist Name(s)", "Release Date",
        "Duration (ms)", "Popularity", "Explicit", "Added By", "Added At", "Genres",
        "Record Label", "Danceability", "Energy", "Key", "Loudness", "Mode", "Speechiness",
        "Acousticness", "Instrumentalness", "Liveness", "Valence", "Tempo", "Time Signature",
    ]  # fmt: skip
    extended = upload(api, exportify_csv(uris, extended_header), "Other.csv")
    assert extended.status_code == 201, extended.text
    assert extended.json()["format"] == "exportify_extended"
    listed = api.post("/api/v1/imports", {"name": "Listed", "uris": uris[::-1]})
    assert listed.status_code == 201 and listed.json()["format"] == "uris"

    playlist = classic.json()["playlists"][0]["id"]
    done = api.restore({"source": {"import": classic.json()["id"]}, "playlists": [playlist]})
    assert done["status"] == "succeeded", done
    (step,) = done["plan"]["playlists"]
    assert step["not_restorable"] == [{"uri": None, "reason": "no_uri"}]
    made = next(p for p in emulator.user(FIRST).playlists_simplified() if p["name"] == "Mine")
    got = [i["item"]["uri"] for i in emulator.user(FIRST).playlist_items(made["id"])]
    assert got == [*uris, uris[0]]
    assert api.get("/api/v1/imports").json()["total"] == 3


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("playlists.csv", "w") as member:
            block = b"\0" * (1 << 20)
            for _ in range(300):
                member.write(block)
    return out.getvalue()


def test_bad_files_are_refused_whole_and_nothing_is_kept(emulator: Emulator, api: Api) -> None:
    from gateway.exports.exportify import HEADER

    good = [s["track"]["uri"] for s in emulator.user(FIRST).saved_tracks()[:2]]
    garbage_rows = ("\n".join(["\x01garbage,,,;;"] * 100_000)).encode()
    too_many = exportify_csv(["spotify:track:" + "A" * 22] * 10_001, list(HEADER))
    bomb = zip_bomb()
    assert len(bomb) < 1_000_000
    cases = [
        upload(api, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, "cover.png"),
        upload(api, garbage_rows, "garbage.csv"),
        upload(api, too_many, "huge.csv"),
        upload(api, bomb, "bomb.zip"),
        upload(api, b"PK\x03\x04 not really a zip", "broken.zip"),
        upload(api, exportify_csv(["not a uri"], list(HEADER)), "none.csv"),
        api.post("/api/v1/imports", {"name": "x", "uris": [*good, "spotify:track:nope", 7]}),
        api.post("/api/v1/imports", {"name": "x"}),
        api.session.post(f"{api.url}/api/v1/imports", data=b"plain", timeout=30),
    ]
    for answer in cases:
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == "bad_request"
    assert api.get("/api/v1/imports").json()["total"] == 0
    assert (
        api.post("/api/v1/restores", {"source": {"import": "f" * 32}, "liked": True}).status_code
        == 404
    )
