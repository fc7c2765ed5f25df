"""The gateway as `make run` runs it (python -m launcher: supervisord, demo mode): its log file
is JSON lines without colour codes, one access line per request and never a token; and a
save's event stream cut by a process stopping ends with a final event."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
import requests
from teststack.events import EventStream
from teststack.login import login

from launcher.testing import START_TIMEOUT_S, LauncherRun, Launchers


@pytest.fixture(scope="module")
def launched(launchers: Launchers) -> LauncherRun:
    env = launchers.environment()
    # Far longer than a stream may take to end: one ending at once was ended, not cut.
    env["TAPEDECK_GRACE_S"] = "30"
    run = launchers.start(env)
    run.wait_ready()
    return run


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_the_gateway_logs_json_lines_one_per_request_without_colour_or_token(
    launched: LauncherRun,
) -> None:
    token = login(launched.url)
    user_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    bearer = {"Authorization": f"Bearer {token}"}
    url = launched.url
    requests.get(f"{url}/api/v1/me", headers=bearer, timeout=10)
    requests.get(f"{url}/api/v1/tracks?limit=5&access_token={token}", headers=bearer, timeout=10)
    requests.get(f"{url}/docs", timeout=10)
    requests.get(f"{url}/healthz?token={token}", timeout=10)
    requests.get(f"{url}/no/such/path?token={token}", timeout=10)

    deadline = time.monotonic() + 10
    while '"route": "unmatched"' not in launched.log("gateway"):
        assert time.monotonic() < deadline, "no access line for the unknown path"
        time.sleep(0.1)
    text = launched.log("gateway")
    assert "\x1b[" not in text  # no ANSI colour codes
    assert token not in text
    lines = _lines(text)  # every line is JSON
    assert all(line["service"] == "gateway" for line in lines)
    assert not any("color_message" in line for line in lines)
    # uvicorn's own lines come through the JSON handler; its access log (with query
    # strings) is off.
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    assert not any(line["logger"] == "uvicorn.access" for line in lines)
    access = [
        (line["method"], line["route"], line["status"], line.get("user_id"))
        for line in lines
        if line["logger"] == "gateway.access" and not line["route"].startswith("/auth/")
    ]
    assert access[-5:] == [
        ("GET", "/api/v1/me", 200, user_id),
        ("GET", "/api/v1/tracks", 200, user_id),
        ("GET", "/docs", 200, None),
        ("GET", "/healthz", 200, None),
        ("GET", "unmatched", 404, None),
    ]
    assert all(
        isinstance(line["duration_ms"], float)
        for line in lines
        if line["logger"] == "gateway.access"
    )


def _hold_spotify(launched: LauncherRun, on: bool) -> None:
    """The demo emulator answers nothing until released: a save stays running."""
    hold = {"n": 1000, "timeout_s": 120} if on else None
    answer = requests.put(
        f"{launched.emulator_url}/_emulator/faults", json={"hold": hold}, timeout=10
    )
    assert answer.status_code == 200, answer.text


def _wait_gateway(launched: LauncherRun) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            if requests.get(f"{launched.url}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, "the gateway did not come back"
        time.sleep(0.2)


def _wait_ended(launched: LauncherRun, token: str, save_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while True:
        answer = requests.get(
            f"{launched.url}/api/v1/library/saves/{save_id}",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        if answer.status_code == 200 and answer.json()["status"] not in ("queued", "running"):
            save: dict[str, Any] = answer.json()
            return save
        assert time.monotonic() < deadline, answer.text
        time.sleep(0.2)


def test_stopping_the_gateway_ends_an_open_event_stream_at_once_with_an_error_event(
    launched: LauncherRun,
) -> None:
    token = login(launched.url)
    _hold_spotify(launched, True)
    try:
        started = requests.post(
            f"{launched.url}/api/v1/library/saves",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert started.status_code == 202, started.text
        stream = EventStream()
        stream.read(launched.url, token, started.json()["id"])
        asked_at = time.monotonic()
        launched.supervisorctl("stop", "gateway")  # SIGTERM, as on Ctrl-C
        stream.wait(30)
        assert stream.failure is None, repr(stream.failure)
        assert stream.ended_at is not None and stream.ended_at - asked_at < 15  # grace: 30 s
        name, data = stream.events[-1]
        assert name == "error"
        assert data["error"]["status"] == 503
        assert data["error"]["code"] == "service_unavailable"
    finally:
        launched.supervisorctl("start", "gateway")
        _hold_spotify(launched, False)
    _wait_gateway(launched)
    # The save went on without the gateway and ends as usual.
    assert _wait_ended(launched, token, started.json()["id"])["status"] == "succeeded"


def test_stopping_the_library_ends_an_open_event_stream_with_a_final_event(
    launched: LauncherRun,
) -> None:
    launched.wait_ready()
    token = login(launched.url)
    _hold_spotify(launched, True)
    try:
        started = requests.post(
            f"{launched.url}/api/v1/library/saves",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert started.status_code == 202, started.text
        stream = EventStream()
        stream.read(launched.url, token, started.json()["id"])
        launched.supervisorctl("stop", "library")
        stream.wait(60)
    finally:
        _hold_spotify(launched, False)
        launched.supervisorctl("start", "library")
    # Never a dropped connection: the stream's last event is the save's end (the library
    # ended it, interrupted, before going) or an error saying the service went away.
    assert stream.failure is None, repr(stream.failure)
    name, data = stream.events[-1]
    if name == "done":
        assert data["status"] in ("partial", "failed")
        assert data["error"]["code"] == "interrupted"
    else:
        assert name == "error"
        assert data["error"]["code"] == "service_unavailable"
