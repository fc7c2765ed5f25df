"""Downloads through the gateway (docs/api.md "Downloads"): a user's saved tracks queued,
downloaded by real yt-dlp from a local server of real audio, tagged, served back as files;
dedup, cancel and removal, and bad input answered clearly."""

from __future__ import annotations

import io
import time
from typing import Any

import mutagen
from teststack.audio import AudioServer, Slow
from teststack.stack import Stack

ENDED = ("succeeded", "failed", "cancelled")


def wait_ended(api: Any, job_id: str, timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        job: dict[str, Any] = api.get(f"/api/v1/downloads/{job_id}").json()
        if job["status"] in ENDED:
            return job
        assert time.monotonic() < deadline, f"the download did not end: {job}"
        time.sleep(0.05)


def liked(api: Any) -> list[dict[str, Any]]:
    saved = api.save(kinds=["tracks", "playlists"])
    assert saved["status"] == "succeeded", saved
    return [i["track"] for i in api.all("/api/v1/tracks") if i["track"].get("id")]


def test_a_saved_track_is_downloaded_tagged_and_served(api: Any, stack: Stack) -> None:
    first, second = liked(api)[:2]
    answer = api.post(
        "/api/v1/downloads", {"tracks": [first["id"], f"spotify:track:{second['id']}"]}
    )
    assert answer.status_code == 202, answer.text
    jobs = answer.json()["items"]
    assert [j["track_id"] for j in jobs] == [first["id"], second["id"]]
    assert all(j["status"] in ("queued", "running") for j in jobs)
    # Asked again while queued or after: the same jobs, nothing queued twice.
    again = api.post("/api/v1/downloads", {"tracks": [second["id"], first["id"]]}).json()
    assert sorted(j["id"] for j in again["items"]) == sorted(j["id"] for j in jobs)

    done = wait_ended(api, jobs[0]["id"])
    assert done["status"] == "succeeded", done
    assert done["progress"] == 1.0 and done["format"] == "wav" and done["error"] is None
    assert done["file_name"].endswith(".wav") and "/" not in done["file_name"]
    assert done["match"]["duration_s"] > 0
    wait_ended(api, jobs[1]["id"])
    listed = api.get("/api/v1/downloads", status="succeeded").json()
    assert {j["id"] for j in listed["items"]} == {j["id"] for j in jobs}
    assert listed["total"] == 2

    served = api.get(f"/api/v1/downloads/{done['id']}/file")
    assert served.status_code == 200
    assert served.headers["content-type"] == "audio/wav"
    assert served.headers["content-disposition"].startswith("attachment; filename=")
    assert len(served.content) == done["bytes"]
    tags = mutagen.File(io.BytesIO(served.content))
    assert tags is not None and tags.tags is not None
    assert str(tags.tags["TIT2"]) == first["name"]
    assert str(tags.tags["TPE1"]) == first["artists"][0]["name"]
    assert str(tags.tags["TALB"]) == first["album"]["name"]
    assert tags.tags["TXXX:SPOTIFY_TRACK_URI"].text == [first["uri"]]
    # The album's cover, fetched from the stored image URL (the emulator's).
    assert tags.tags.getall("APIC")[0].data.startswith(b"\x89PNG")

    # Removed: the job and its file go; asked again, it is downloaded again.
    files = [p for p in stack.downloads_dir.rglob("*.wav")]
    assert len(files) == 2
    assert api.session.delete(f"{api.url}/api/v1/downloads/{done['id']}").status_code == 204
    assert api.get(f"/api/v1/downloads/{done['id']}").status_code == 404
    assert len(list(stack.downloads_dir.rglob("*.wav"))) == 1
    [redo] = api.post("/api/v1/downloads", {"tracks": [first["id"]]}).json()["items"]
    assert redo["id"] != done["id"]
    assert wait_ended(api, redo["id"])["status"] == "succeeded"


def test_a_running_download_is_cancelled(api: Any, stack: Stack, audio: AudioServer) -> None:
    [track] = liked(api)[:1]
    slow = audio.slow[f"/{track['id']}.wav"] = Slow()
    [job] = api.post("/api/v1/downloads", {"tracks": [track["id"]]}).json()["items"]
    assert slow.started.wait(30)
    # Half the file is sent, the rest trickles: the job shows how far it has come.
    deadline = time.monotonic() + 30
    while (running := api.get(f"/api/v1/downloads/{job['id']}").json())["progress"] == 0:
        assert time.monotonic() < deadline, running
        time.sleep(0.05)
    assert running["status"] == "running"
    assert 0.4 < running["progress"] < 1.0
    queue = api.get("/api/v1/downloads", status="running").json()["items"]
    assert [(j["id"], j["status"]) for j in queue] == [(job["id"], "running")]
    assert api.get(f"/api/v1/downloads/{job['id']}/file").status_code == 409
    assert api.session.delete(f"{api.url}/api/v1/downloads/{job['id']}").status_code == 204
    assert wait_ended(api, job["id"])["status"] == "cancelled"
    assert list(stack.downloads_dir.rglob("*.wav")) == []
    assert list((stack.downloads_dir / ".partial").iterdir()) == []


def test_liked_songs_and_playlists_are_queued_whole(api: Any) -> None:
    tracks = liked(api)
    answer = api.post("/api/v1/downloads", {"liked": True})
    assert answer.status_code == 202, answer.text
    assert [j["track_id"] for j in answer.json()["items"]] == list(
        dict.fromkeys(t["id"] for t in tracks)
    )
    # The same tracks asked by id (many at once): their jobs, nothing queued twice.
    jobs = answer.json()["items"]
    by_id = api.post("/api/v1/downloads", {"tracks": [j["track_id"] for j in jobs[:30]]})
    assert [j["id"] for j in by_id.json()["items"]] == [j["id"] for j in jobs[:30]]
    playlist = next(p for p in api.all("/api/v1/playlists") if p["tapedeck"]["items_saved"] > 0)
    items = api.all(f"/api/v1/playlists/{playlist['id']}/tracks")
    objects = [i.get("item") or i.get("track") or {} for i in items]
    # Episodes and local files have no audio to look for.
    ids = [o["id"] for o in objects if o.get("type") == "track" and not o.get("is_local")]
    assert ids, "the playlist has tracks"
    answer = api.post("/api/v1/downloads", {"playlist_id": playlist["id"]})
    assert answer.status_code == 202, answer.text
    got = [j["track_id"] for j in answer.json()["items"]]
    assert got == list(dict.fromkeys(ids))


def test_bad_input_is_answered_clearly(api: Any, stack: Stack, api_for: Any) -> None:
    tracks = liked(api)
    track = tracks[0]
    for body, status in [
        ({"tracks": ["0000000000000000000000"]}, 404),
        ({"tracks": ["../../x"]}, 404),
        ({"playlist_id": "0000000000000000000000"}, 404),
        ({}, 400),
        ({"tracks": [track["id"]], "liked": True}, 400),
        ({"tracks": [track["id"]], "source": "ftp"}, 422),
        ({"tracks": "abc"}, 422),
    ]:
        answer = api.post("/api/v1/downloads", body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["error"]["status"] == status
    # Many ids at once are looked up in the Liked Songs read whole: one unknown refuses all.
    many = [t["id"] for t in tracks[:30]] + ["0000000000000000000000"]
    answer = api.post("/api/v1/downloads", {"tracks": many})
    assert answer.status_code == 404 and "0000000000000000000000" in answer.text
    assert api.get("/api/v1/downloads").json()["total"] == 0
    [job] = api.post("/api/v1/downloads", {"tracks": [track["id"]]}).json()["items"]
    # Another user sees nothing of it and can do nothing to it.
    other = api_for(stack, "alice")
    assert other.get(f"/api/v1/downloads/{job['id']}").status_code == 404
    assert other.get(f"/api/v1/downloads/{job['id']}/file").status_code == 404
    assert other.session.delete(f"{other.url}/api/v1/downloads/{job['id']}").status_code == 404
    assert other.get("/api/v1/downloads").json()["total"] == 0
    assert wait_ended(api, job["id"])["status"] == "succeeded"
