"""Bad input to retention and to deleting a save: the right status, and nothing changed or
lost; and what a deleted save leaves (reads fall back to the save before it)."""

from __future__ import annotations

from typing import Any

from teststack.stack import Stack

from spotify_emulator.config import Faults, Hold

from .conftest import Api

DEFAULT = {"last": 10, "daily": 14, "weekly": 8, "monthly": 24}


def _put(api: Api, body: Any = None, data: bytes | None = None) -> Any:
    return api.session.put(f"{api.url}/api/v1/library/retention", json=body, data=data, timeout=30)


def _delete(api: Api, save_id: str) -> Any:
    return api.session.delete(f"{api.url}/api/v1/library/saves/{save_id}", timeout=30)


def test_a_rule_out_of_range_or_malformed_is_refused_and_changes_nothing(api: Api) -> None:
    assert api.get("/api/v1/library/retention").json() == DEFAULT
    for body in ({"last": -1}, {"daily": 1001}, {"monthly": 10**12}, {"weekly": -(10**12)}):
        answer = _put(api, body)
        assert answer.status_code == 400, (body, answer.text)
        assert answer.json()["error"]["code"] == "bad_request"
    malformed: list[Any] = [{"weekly": "5"}, {"last": 2.5}, {"hourly": 3}, {"last": True}, [1]]
    for body in malformed:
        answer = _put(api, body)
        assert answer.status_code == 422, (body, answer.text)
    assert _put(api, data=b"{").status_code in (400, 422)
    assert api.get("/api/v1/library/retention").json() == DEFAULT
    # Parts not given are the server's default; the bounds themselves are fine.
    answer = _put(api, {"last": 0, "monthly": 1000})
    assert answer.status_code == 200
    assert answer.json() == {**DEFAULT, "last": 0, "monthly": 1000}
    assert api.get("/api/v1/library/retention").json() == {**DEFAULT, "last": 0, "monthly": 1000}


def test_deleting_unknown_anothers_or_a_running_save_is_refused_and_keeps_it(
    stack: Stack, api: Api, api_for: Any, library_equals: Any
) -> None:
    truth = stack.emulator.user("tapedeck-demo")
    other = api_for(stack, "someone-else")
    theirs = other.save(["artists"])
    first = api.save()
    assert first["status"] == "succeeded", first
    for unknown in ("0" * 32, "not-a-save", theirs["id"]):
        answer = _delete(api, unknown)
        assert answer.status_code == 404, answer.text
        assert answer.json()["error"]["code"] == "not_found"
    assert other.get(f"/api/v1/library/saves/{theirs['id']}").status_code == 200

    truth.like_tracks(2)
    stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
    try:
        running = api.start()
        answer = _delete(api, running["id"])
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"]["code"] == "conflict"
    finally:
        stack.emulator.set_faults(Faults())
    second = api.wait(running["id"])
    assert second["status"] == "succeeded", second
    library_equals(api, truth)

    # Deleting the newest save: reads fall back to the one before, which still reads back
    # as the library was then (two liked songs fewer).
    liked_then = truth.saved_tracks()[2:]
    assert _delete(api, second["id"]).status_code == 204
    assert api.get(f"/api/v1/library/saves/{second['id']}").status_code == 404
    assert api.get("/api/v1/tracks", save=second["id"]).status_code == 404
    assert _delete(api, second["id"]).status_code == 404
    assert [s["id"] for s in api.all("/api/v1/library/saves")] == [first["id"]]
    assert api.all("/api/v1/tracks") == liked_then
    assert api.all("/api/v1/tracks", save=first["id"]) == liked_then
