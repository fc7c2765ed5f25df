"""Full saves of one person no closer together than the cooldown (429 with the seconds
left); incremental saves are not limited. (The cap on event streams is shown beside the
streams, in test_event_streams_shared.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from teststack.stack import Stack

from spotify_emulator import Emulator

COOLDOWN_S = 300


def _assert_rate_limited(answer: Any, most_s: int) -> None:
    assert answer.status_code == 429, answer.text
    assert answer.json() == {
        "error": {
            "status": 429,
            "code": "rate_limited",
            "message": answer.json()["error"]["message"],
        }
    }
    assert 1 <= int(answer.headers["Retry-After"]) <= most_s


@pytest.fixture
def cooled_stack(emulator: Emulator, tmp_path: Path) -> Iterator[Stack]:
    running = Stack.start(emulator, tmp_path, full_save_cooldown_s=COOLDOWN_S)
    yield running
    running.stop()


def test_a_second_full_save_in_a_row_is_429_with_retry_after_and_an_incremental_one_is_not(
    cooled_stack: Stack, api_for: Any
) -> None:
    api = api_for(cooled_stack, "cooldown")
    first = api.save(kinds=["artists"], full=True)
    assert first["status"] == "succeeded"
    again = api.post("/api/v1/library/saves", {"kinds": ["artists"], "full": True})
    _assert_rate_limited(again, COOLDOWN_S)
    # Nothing was started.
    assert api.get("/api/v1/library/saves").json()["total"] == 1
    assert api.save(kinds=["artists"])["status"] == "succeeded"
    # Still limited after the incremental one, and only for this person.
    _assert_rate_limited(api.post("/api/v1/library/saves", {"full": True}), COOLDOWN_S)
    other = api_for(cooled_stack, "cooldown-other")
    assert other.save(kinds=["artists"], full=True)["status"] == "succeeded"
