"""Open save event streams cost the library service nothing per stream: 200 of them (20
people, 10 each) on a library allowed as few threads as it can have, while every other
request answers as usual, and each stream still gets its save's `done`. One person may
have 16 open at once: 429 with Retry-After beyond."""

from __future__ import annotations

import http.client
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tapedeck.library.v1 import library_pb2
from teststack.stack import Stack

from spotify_emulator import Emulator, Faults
from spotify_emulator.config import Hold

PEOPLE = 20
STREAMS_EACH = 10
# Generous: a request waits for nothing but the machine.
REQUEST_TIMEOUT_S = 30
CAP = 16


class EventStream:
    """One save event stream, read a line at a time over its own connection."""

    def __init__(self, url: str, token: str, save_id: str) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=REQUEST_TIMEOUT_S)
        self.connection.request(
            "GET",
            f"/api/v1/library/saves/{save_id}/events",
            headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"},
        )
        self.answer = self.connection.getresponse()

    def next_event(self) -> tuple[str, Any]:
        name = ""
        while True:
            line = self.answer.readline().decode()
            assert line, "the stream ended without an event"
            if line.startswith("event: "):
                name = line.removeprefix("event: ").strip()
            elif line.startswith("data: "):
                return name, json.loads(line.removeprefix("data: "))

    def rest(self) -> list[tuple[str, Any]]:
        """The events up to the stream's end."""
        events = []
        while True:
            event = self.next_event()
            events.append(event)
            if event[0] in ("done", "error"):
                assert self.answer.read().strip() == b"", "more after the last event"
                return events

    def close(self) -> None:
        self.connection.close()


def pinned_watches() -> int:
    """Threads of this process (the in-process library service) serving a watch now."""
    count = 0
    for frame in sys._current_frames().values():
        while frame is not None:
            code = frame.f_code
            if code.co_name in ("WatchSave", "WatchSaves") and code.co_filename.endswith(
                "library/servicer.py"
            ):
                count += 1
                break
            frame = frame.f_back  # type: ignore[assignment]
    return count


def _assert_one_watch_pinned() -> None:
    """Sampled a few times over half a second: between two messages the feed's thread is
    in gRPC's code, not in the watch."""
    samples = []
    for _ in range(50):
        samples.append(pinned_watches())
        time.sleep(0.01)
    assert max(samples) == 1, samples


@pytest.fixture
def lean_stack(emulator: Emulator, tmp_path: Path) -> Iterator[Stack]:
    """The library with the fewest threads it may serve calls with (4)."""
    running = Stack.start(emulator, tmp_path, rpc_workers=4)
    yield running
    running.stop()


def test_two_hundred_open_streams_leave_every_other_request_answering_and_all_get_done(
    lean_stack: Stack, api_for: Any
) -> None:
    stack = lean_stack
    other = api_for(stack, "streams-other")
    first = other.save(kinds=["artists"])
    people = [api_for(stack, f"streams-{n}") for n in range(PEOPLE)]
    streams: list[tuple[EventStream, str]] = []
    # Spotify answers nothing until released: every save stays running (or queued).
    stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
    try:
        saves = [person.start(kinds=["artists"]) for person in people]
        for person, save in zip(people, saves, strict=True):
            token = person.session.headers["Authorization"].split()[1]
            for _ in range(STREAMS_EACH):
                stream = EventStream(stack.url, token, save["id"])
                assert stream.answer.status == 200
                name, data = stream.next_event()
                assert (name, data["id"]) == ("progress", save["id"])
                assert data["status"] in ("queued", "running")
                streams.append((stream, save["id"]))
        assert len(streams) == PEOPLE * STREAMS_EACH

        # One watch holds a library thread: the gateway's feed of every stream.
        _assert_one_watch_pinned()
        # Everything else answers as usual.
        _assert_answers_normally(other, first)
        _assert_one_watch_pinned()
    finally:
        stack.emulator.set_faults(Faults())

    finals: dict[str, Any] = {}
    for stream, save_id in streams:
        events = stream.rest()
        stream.close()
        name, final = events[-1]
        assert name == "done", events[-1]
        assert final["id"] == save_id and final["status"] == "succeeded"
        assert events[-2] == ("progress", final)
        assert finals.setdefault(save_id, final) == final
    for person, save in zip(people, saves, strict=True):
        assert person.get(f"/api/v1/library/saves/{save['id']}").json() == finals[save["id"]]


def _assert_answers_normally(api: Any, first: dict[str, Any]) -> None:
    read = api.get("/api/v1/artists")
    assert read.status_code == 200, read.text
    assert read.json()["total"] == first["counts"]["artists"]
    history = api.get("/api/v1/library/saves")
    assert history.status_code == 200, history.text
    assert [save["id"] for save in history.json()["items"]] == [first["id"]]
    one = api.get(f"/api/v1/library/saves/{first['id']}")
    assert one.status_code == 200 and one.json() == first
    started = api.post("/api/v1/library/saves", {"kinds": ["artists"]})
    assert started.status_code == 202, started.text
    assert started.json()["status"] == "queued"


def _token(api: Any) -> str:
    return str(api.session.headers["Authorization"].split()[1])


def _assert_rate_limited(answer: Any) -> None:
    assert answer.status_code == 429, answer.text
    message = answer.json()["error"]["message"]
    assert answer.json() == {"error": {"status": 429, "code": "rate_limited", "message": message}}
    assert int(answer.headers["Retry-After"]) >= 1


def test_the_seventeenth_stream_of_one_person_is_429_and_a_closed_one_frees_its_slot(
    stack: Stack, api_for: Any
) -> None:
    alice, bob = api_for(stack, "cap-alice"), api_for(stack, "cap-bob")
    stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
    streams: list[EventStream] = []
    try:
        save = alice.start(kinds=["artists"])
        for _ in range(CAP):
            streams.append(EventStream(stack.url, _token(alice), save["id"]))
            assert streams[-1].answer.status == 200
        # Beyond the cap: 429.
        over = alice.session.get(
            f"{stack.url}/api/v1/library/saves/{save['id']}/events", stream=True, timeout=30
        )
        _assert_rate_limited(over)
        # Another person is not limited by it.
        theirs = EventStream(stack.url, _token(bob), bob.start(kinds=["artists"])["id"])
        assert theirs.answer.status == 200
        streams.append(theirs)
        # A stream closed frees its slot (once the gateway has seen the client go).
        streams.pop(0).close()
        deadline = time.monotonic() + 10
        while True:
            again = EventStream(stack.url, _token(alice), save["id"])
            if again.answer.status == 200:
                streams.append(again)
                break
            again.close()
            assert time.monotonic() < deadline, "the closed stream's slot was not freed"
            time.sleep(0.05)
    finally:
        stack.emulator.set_faults(Faults())
    for stream in streams:
        assert stream.rest()[-1][0] == "done"
        stream.close()


def test_the_gateway_hears_of_every_status_change_of_any_save_once_its_feed_is_open(
    stack: Stack, api_for: Any
) -> None:
    heard: list[tuple[str, str, int]] = []
    app: Any = stack.gateway.server.config.app
    app.state.streams.on_save_changed(
        lambda user_id, save: heard.append((user_id, save.id, save.status))
    )
    alice, bob = api_for(stack, "hook-alice"), api_for(stack, "hook-bob")
    first = alice.save(kinds=["artists"])
    # Opening a stream opens the feed.
    assert alice.events(first["id"])[-1][0] == "done"
    second = bob.save(kinds=["artists"])
    deadline = time.monotonic() + REQUEST_TIMEOUT_S
    while (second["id"], library_pb2.SAVE_STATUS_SUCCEEDED) not in {(i, s) for _, i, s in heard}:
        assert time.monotonic() < deadline, heard
        time.sleep(0.01)
    bobs = [(user_id, status) for user_id, save_id, status in heard if save_id == second["id"]]
    # Each status once, in order, ending with its end (changes within one feed interval
    # come as one: the newest).
    statuses = [status for _, status in bobs]
    assert statuses == sorted(set(statuses))
    assert statuses[-1] == library_pb2.SAVE_STATUS_SUCCEEDED
    # Told with the save's user, who is not alice.
    assert len({user_id for user_id, _ in bobs}) == 1
    assert bobs[0][0] not in {user_id for user_id, save_id, _ in heard if save_id == first["id"]}
