"""Playlists put back into Spotify through the gateway: deleted ones made anew from a save,
a changed one made equal to an older save with the fewest writes, a dry run that writes
nothing, and bad requests refused before anything is written."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests
from teststack.stack import Stack

from library.restores.edits import plan_edits
from spotify_emulator import Emulator

from .conftest import Api, item_uris, login_with_write_scopes, restorable, spotify

USER = "tapedeck-demo"


def own_playlists(emulator: Emulator) -> list[dict[str, Any]]:
    user = emulator.user(USER)
    return [p for p in user.playlists_simplified() if not user.items_withheld(p["id"])]


def test_three_deleted_playlists_come_back_item_by_item_from_a_save(
    emulator: Emulator, api: Api
) -> None:
    # The three largest of the user's own: duplicates, episodes, local files among them.
    chosen = sorted(own_playlists(emulator), key=lambda p: -p["items"]["total"])[:3]
    truth = {p["id"]: item_uris(emulator, USER, p["id"]) for p in chosen}
    assert any(len(set(restorable(u))) < len(restorable(u)) for u in truth.values())
    save = api.save()
    assert save["status"] == "succeeded"
    hand = spotify(emulator, USER)
    for p in chosen:
        gone = hand.delete(
            f"{emulator.api_url}/me/library", params={"uris": f"spotify:playlist:{p['id']}"}
        )
        assert gone.status_code == 200
    assert not {p["id"] for p in chosen} & set(emulator.user(USER).playlist_ids())
    emulator.reset_stats()

    done = api.restore(
        {"source": {"save": save["id"]}, "playlists": [p["id"] for p in chosen], "mode": "new"}
    )

    assert done["status"] == "succeeded", done
    plan = {p["source_id"]: p for p in done["plan"]["playlists"]}
    user = emulator.user(USER)
    now = {p["name"]: p for p in user.playlists_simplified()}
    for p in chosen:
        made = now[p["name"]]
        assert made["id"] != p["id"] and made["public"] is False
        assert plan[p["id"]]["action"] == "create" and plan[p["id"]]["target_id"] is None
        # Item by item: order and duplicates as they were.
        assert item_uris(emulator, USER, made["id"]) == restorable(truth[p["id"]])
        lost = len(truth[p["id"]]) - len(restorable(truth[p["id"]]))
        assert len(plan[p["id"]]["not_restorable"]) == lost
        assert save["id"] in user.playlist(made["id"])["description"]
    # The fewest writes the limit of 100 per call allows.
    writes = emulator.writes()
    assert writes["POST /v1/me/playlists"] == 3
    expected = sum(math.ceil(len(restorable(u)) / 100) for u in truth.values())
    assert writes["POST /v1/playlists/{id}/items"] == expected
    assert writes["total"] == 3 + expected
    assert done["progress"] == {"done": sum(len(restorable(u)) for u in truth.values())} | {
        "total": done["progress"]["done"]
    }


class Clock:
    """The library's clock: the test sets when each save is taken."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_replace_makes_a_changed_playlist_equal_to_a_save_a_week_old_with_fewest_writes(
    emulator: Emulator, tmp_path: Path
) -> None:
    clock = Clock()
    stack = Stack.start(emulator, tmp_path, clock=clock)
    try:
        _replace_a_week_back(emulator, stack, clock)
    finally:
        stack.stop()


def _replace_a_week_back(emulator: Emulator, stack: Stack, clock: Clock) -> None:
    api = Api(stack.url, login_with_write_scopes(stack.url, USER))
    target = own_playlists(emulator)[0]["id"]
    before = api.save()
    saved = item_uris(emulator, USER, target)
    clock.now += timedelta(days=7)
    emulator.user(USER).change_playlist(target, add=2, remove=1)
    changed = item_uris(emulator, USER, target)
    assert changed != saved
    after_a_week = api.save()  # the newest save holds the change; the restore names the older
    week = datetime.fromisoformat(after_a_week["created_at"]) - datetime.fromisoformat(
        before["created_at"]
    )
    assert week == timedelta(days=7)
    emulator.reset_stats()

    done = api.restore({"source": {"save": before["id"]}, "playlists": [target], "mode": "replace"})

    assert done["status"] == "succeeded", done
    after = item_uris(emulator, USER, target)
    # Local files and unavailable items cannot be written: they stay where they were.
    assert restorable(after) == restorable(saved) and len(after) == len(saved)
    writes = emulator.writes()
    # At least one remove and one add; at most one more add, for a removed URI that also had
    # a copy to keep (Spotify's remove takes every copy).
    fewest = plan_edits(changed, restorable(saved)).requests
    assert 2 <= writes["total"] == fewest <= 3
    assert "POST /v1/me/playlists" not in writes
    (step,) = done["plan"]["playlists"]
    assert step["action"] == "replace" and step["target_id"] == target
    assert step["remove"] >= 2 and step["add"] >= 1


def test_a_dry_run_answers_the_plan_and_writes_nothing(
    emulator: Emulator, stack: Stack, api: Api
) -> None:
    save = api.save()
    emulator.reset_stats()
    answer = api.post(
        "/api/v1/restores",
        {"playlists": "all", "liked": True, "albums": True, "artists": True, "dry_run": True},
    )
    assert answer.status_code == 200, answer.text
    restore = answer.json()
    assert restore["dry_run"] is True and restore["status"] == "succeeded"
    assert restore["source"] == {"save": save["id"]}
    assert emulator.writes()["total"] == 0
    plan = restore["plan"]
    user = emulator.user(USER)
    assert len(plan["playlists"]) == len(user.playlist_ids())
    withheld = [p for p in plan["playlists"] if p["action"] == "none"]
    assert withheld and all(p["not_restorable"][0]["reason"] == "withheld" for p in withheld)
    reasons = {r["reason"] for p in plan["playlists"] for r in p["not_restorable"]}
    assert "local_file" in reasons
    # Everything is already in the library: nothing to add; no artist can be followed.
    assert plan["liked"]["add"] == 0 and plan["albums"]["add"] == 0
    assert len(plan["artists"]["not_restorable"]) == len(user.followed_artists())
    assert {r["reason"] for r in plan["artists"]["not_restorable"]} == {"follow_unsupported"}
    listed = api.get("/api/v1/restores").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == restore["id"]
    # Its event stream: the restore as it is (ended), then done.
    stream = api.session.get(
        f"{api.url}/api/v1/restores/{restore['id']}/events", stream=True, timeout=30
    )
    assert stream.status_code == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    names = [line for line in stream.iter_lines(decode_unicode=True) if line.startswith("event:")]
    assert names == ["event: progress", "event: done"]
    assert api.get(f"/api/v1/restores/{'0' * 32}/events").status_code == 404


def test_bad_requests_are_refused_and_write_nothing(
    emulator: Emulator, stack: Stack, api: Api
) -> None:
    from .conftest import login_with_write_scopes

    other = Api(stack.url, login_with_write_scopes(stack.url, "someone-else"))
    theirs = other.save()
    api.save()
    emulator.reset_stats()
    cases = [
        ({"source": {"save": theirs["id"]}, "playlists": "all"}, 404),
        ({"source": {"save": "0" * 32}, "playlists": "all"}, 404),
        ({"playlists": ["no-such-playlist"]}, 404),
        ({"playlists": "all", "mode": "merge"}, 422),
        ({"playlists": "some"}, 422),
        ({}, 400),
        ({"playlists": "all", "source": {"save": theirs["id"], "import": "x"}}, 400),
        ({"playlists": "all", "unknown": 1}, 422),
    ]
    for body, status in cases:
        answer = api.post("/api/v1/restores", body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()["error"]["status"] == status
    assert api.get("/api/v1/restores").json()["total"] == 0
    assert api.get(f"/api/v1/restores/{'f' * 32}").status_code == 404
    assert emulator.writes()["total"] == 0


def test_a_first_restore_asks_for_the_write_scopes_once(emulator: Emulator, stack: Stack) -> None:
    """A login asks for the read scopes only; a restore then answers 403 scope_required with
    the login that asks for the write scopes (a second consent), after which it runs."""
    reader = Api(stack.url, stack.login(USER))
    save = reader.save()
    body = {"source": {"save": save["id"]}, "liked": True}
    refused = reader.post("/api/v1/restores", body)
    assert refused.status_code == 403, refused.text
    answer = refused.json()
    assert answer["error"]["code"] == "scope_required"
    assert reader.post("/api/v1/restores", body | {"dry_run": True}).status_code == 200
    assert emulator.writes()["total"] == 0

    with requests.Session() as browser:
        start = browser.get(f"{stack.url}{answer['login_url']}", allow_redirects=False, timeout=10)
        assert start.status_code == 302
        authorize = urlsplit(start.headers["location"])
        asked = parse_qs(authorize.query)["scope"][0].split()
        assert {"playlist-modify-private", "user-library-modify"} <= set(asked)
        query = parse_qs(authorize.query) | {"emulator_user": [USER]}
        approved = requests.get(
            urlunsplit(authorize._replace(query=urlencode(query, doseq=True))),
            allow_redirects=False,
            timeout=10,
        )
        callback = urlsplit(approved.headers["location"])
        gateway = urlsplit(stack.url)
        back = browser.get(
            urlunsplit(callback._replace(scheme=gateway.scheme, netloc=gateway.netloc)),
            headers={"Accept": "application/json"},
            timeout=10,
        )
    assert back.status_code == 200, back.text
    granted = Api(stack.url, back.json()["token"])
    assert granted.restore(body)["status"] == "succeeded"
