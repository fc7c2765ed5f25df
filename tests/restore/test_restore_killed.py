"""A restore whose library process is killed (SIGKILL: no clean stop, whatever it was doing)
and started again resumes by itself and ends with every item exactly once and each playlist
made once. The library runs as its own process (`python -m library`, as `make run` starts
it) beside the rest of the stack."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from teststack.stack import Stack

from kit.settings import ENTITY_SERVICES
from spotify_emulator import Emulator, Faults

from .conftest import Api, item_uris, login_with_write_scopes, restorable, spotify

USER = "tapedeck-demo"


def library_process(stack: Stack, emulator: Emulator) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    env |= {
        "TAPEDECK_DATA_DIR": str(stack.data_dir),
        "TAPEDECK_INTERNAL_TOKEN": stack.internal_token,
        "TAPEDECK_LIBRARY_ADDR": stack.addresses["library"],
        "TAPEDECK_LIBRARY_DATABASE_URL": stack.database_urls["library"],
        "TAPEDECK_AUTH_ADDR": stack.addresses["auth"],
        "TAPEDECK_SPOTIFY_API_URL": emulator.api_url,
        "TAPEDECK_LOG_LEVEL": "WARNING",
        # A killed process's restore is resumed once its lease passes (a live replica's
        # never is): a short one, so the started-again process resumes it soon.
        "TAPEDECK_SAVE_LEASE_S": "2",
        **{f"TAPEDECK_{n.upper()}_ADDR": stack.addresses[n] for n in ENTITY_SERVICES},
    }
    log = (stack.data_dir / "library-process.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "library"], env=env, cwd=stack.data_dir, stdout=log, stderr=log
    )


def wait_for(check: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def stack(emulator: Emulator, tmp_path: Path) -> Iterator[Stack]:
    running = Stack.start(emulator, tmp_path)
    # The in-process library makes way for a process of its own at the same address.
    running.library.stop()
    yield running
    running.stop()


def test_a_restore_whose_process_is_killed_resumes_and_writes_each_item_once(
    emulator: Emulator, stack: Stack
) -> None:
    process = library_process(stack, emulator)
    try:
        api = Api(stack.url, login_with_write_scopes(stack.url, USER))
        wait_for(lambda: api.get("/api/v1/library/saves").status_code == 200)
        save = api.save()
        user = emulator.user(USER)
        own = [p for p in user.playlists_simplified() if not user.items_withheld(p["id"])]
        chosen = sorted(own, key=lambda p: -p["items"]["total"])[:3]
        truth = {p["name"]: restorable(item_uris(emulator, USER, p["id"])) for p in chosen}
        gone = ",".join(f"spotify:playlist:{p['id']}" for p in chosen)
        assert (
            spotify(emulator, USER)
            .delete(f"{emulator.api_url}/me/library", params={"uris": gone})
            .ok
        )
        # Slow enough that the kill lands mid-way.
        emulator.set_faults(Faults(latency_ms=100))
        started = api.post(
            "/api/v1/restores",
            {"source": {"save": save["id"]}, "playlists": [p["id"] for p in chosen]},
        )
        assert started.status_code == 202, started.text
        path = f"/api/v1/restores/{started.json()['id']}"
        wait_for(lambda: api.get(path).json()["progress"]["done"] > 0)
        cut = api.get(path).json()
        assert cut["status"] == "running" and cut["progress"]["done"] < cut["progress"]["total"]

        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        emulator.set_faults(Faults())
        process = library_process(stack, emulator)

        done = api.wait(path, timeout=60)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert done["status"] == "succeeded", done
    names = Counter(p["name"] for p in emulator.user(USER).playlists_simplified())
    for name, uris in truth.items():
        assert names[name] == 1, f"{name!r} made {names[name]} times"
        made = next(p for p in user.playlists_simplified() if p["name"] == name)
        assert item_uris(emulator, USER, made["id"]) == uris
