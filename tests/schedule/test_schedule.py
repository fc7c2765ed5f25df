"""Automatic saves through the gateway, on the whole stack in-process with the library's
clock in the test's hands: the schedule set, read, refused and turned off; a run missed
while the library service was down starting once when it comes back (its own scheduler);
and, with that scheduler off, `python -m library run-scheduled` (what a CronJob runs)
starting what is due once, and nothing for a user who turned them off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from tapedeck.library.v1 import library_pb2, library_pb2_grpc
from teststack.stack import Stack

from kit.channels import open_channel
from kit.credentials import credential_for
from spotify_emulator import Emulator

from .conftest import Api

SCHEDULE = "/api/v1/library/schedule"
OFF = {"every": None, "next_at": None}
START = datetime(2026, 5, 13, 10, 41, 5, tzinfo=UTC)


class Clock:
    """The library's clock: the test moves it."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def _put(api: Api, body: Any) -> Any:
    return api.session.put(f"{api.url}{SCHEDULE}", json=body, timeout=30)


def _at(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _saves(api: Api) -> list[dict[str, Any]]:
    answer = api.get("/api/v1/library/saves")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _one_ended_save(api: Api) -> dict[str, Any]:
    """Waits for the user's one save to appear and end."""
    deadline = time.monotonic() + 60
    while not (saves := _saves(api)):
        assert time.monotonic() < deadline, "no scheduled save started"
        time.sleep(0.05)
    (save,) = saves
    return api.wait(save["id"])


def test_a_schedule_is_set_refused_and_a_missed_run_runs_once_when_the_library_is_back(
    emulator: Emulator, tmp_path: Path
) -> None:
    clock = Clock()
    # The scheduler looks when the library starts, then not again within the test.
    stack = Stack.start(emulator, tmp_path, clock=clock, scheduler_interval_s=3600)
    try:
        api = Api(stack.url, stack.login())
        other = Api(stack.url, stack.login("someone-else"))
        assert api.get(SCHEDULE).json() == OFF

        answer = _put(api, {"every": "daily"})
        assert answer.status_code == 200, answer.text
        daily = answer.json()
        assert daily["every"] == "daily"
        first = _at(daily["next_at"])
        assert START < first <= START + timedelta(days=1)
        assert api.get(SCHEDULE).json() == daily

        for bad in ({"every": "hourly"}, {"every": "Daily"}, {"every": ""}):
            answer = _put(api, bad)
            assert answer.status_code == 400, (bad, answer.text)
            assert answer.json()["error"]["code"] == "bad_request"
        malformed: list[Any] = [{"every": 1}, {}, {"every": "daily", "at": "03:00"}, ["daily"]]
        for bad in malformed:
            answer = _put(api, bad)
            assert answer.status_code == 422, (bad, answer.text)
        assert api.get(SCHEDULE).json() == daily
        assert (
            api.session.put(
                f"{api.url}{SCHEDULE}",
                json={"every": "weekly"},
                headers={"Authorization": "Bearer nope"},
            ).status_code
            == 401
        )

        # Another user turns them on, then off: never saved.
        assert _put(other, {"every": "weekly"}).json()["every"] == "weekly"
        assert _put(other, {"every": None}).json() == OFF
        assert other.get(SCHEDULE).json() == OFF

        # Three days pass with the library service down, then it comes back.
        clock.now = first + timedelta(days=3, hours=2)
        stack.restart_library()
        save = _one_ended_save(api)
        assert save["status"] == "succeeded", save
        assert save["full"] is False
        assert _saves(other) == []
        after = api.get(SCHEDULE).json()
        following = _at(after["next_at"])
        assert clock.now < following <= clock.now + timedelta(days=1)
        assert (following - first) % timedelta(days=1) == timedelta(0)
    finally:
        stack.stop()


def _run_scheduled(
    stack: Stack, data_dir: Path, **env_vars: str
) -> tuple[int, list[dict[str, Any]]]:
    """`python -m library run-scheduled`, configured as a CronJob's container is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    env |= {
        "TAPEDECK_LIBRARY_ADDR": stack.addresses["library"],
        "TAPEDECK_INTERNAL_TOKEN": stack.internal_token,
        "TAPEDECK_DATA_DIR": str(data_dir),
        **env_vars,
    }
    done = subprocess.run(
        [sys.executable, "-m", "library", "run-scheduled"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=data_dir,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, lines


def test_with_the_scheduler_off_the_command_starts_what_is_due_once(
    emulator: Emulator, tmp_path: Path
) -> None:
    clock = Clock()
    stack = Stack.start(emulator, tmp_path, clock=clock, scheduler="off")
    cron = tmp_path / "cron"
    cron.mkdir()
    try:
        api = Api(stack.url, stack.login())
        off = Api(stack.url, stack.login("someone-else"))
        weekly = _put(api, {"every": "weekly"}).json()
        _put(off, {"every": "daily"})
        _put(off, {"every": None})
        clock.now = _at(weekly["next_at"]) + timedelta(weeks=2)
        # Nothing runs by itself: the library's own scheduler is off.
        stack.restart_library()
        assert _saves(api) == []

        status, logs = _run_scheduled(stack, cron)
        assert status == 0, logs
        assert [line["started"] for line in logs if "started" in line] == [1]
        save = _one_ended_save(api)
        assert save["status"] == "succeeded" and save["full"] is False
        assert _saves(off) == []
        # The next pass finds nothing due: the missed runs do not follow.
        status, logs = _run_scheduled(stack, cron)
        assert status == 0, logs
        assert [line["started"] for line in logs if "started" in line] == [0]
        assert len(_saves(api)) == 1

        # Only the scheduler's credential may ask for a pass (not the gateway's).
        channel = open_channel(
            stack.addresses["library"], credential_for(stack.internal_token, "gateway"), 10
        )
        with channel, pytest.raises(grpc.RpcError) as refused:
            library_pb2_grpc.LibraryServiceStub(channel).RunScheduledSaves(
                library_pb2.RunScheduledSavesRequest()
            )
        assert refused.value.code() is grpc.StatusCode.PERMISSION_DENIED
    finally:
        stack.stop()

    # With no library service to ask, the command fails (the CronJob's run shows failed).
    status, logs = _run_scheduled(stack, cron, TAPEDECK_RPC_TIMEOUT_S="1")
    assert status == 1
    assert any(line.get("level") == "ERROR" for line in logs)
