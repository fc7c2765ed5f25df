"""Spotify's quota per developer account through a whole save: QUOTA_EXCEEDED ends every
kind rate_limited with a message that says so, at once, without retrying; and the next
save does not even ask Spotify."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from teststack.fixtures import make_emulator
from teststack.stack import Stack

from spotify_emulator import Faults


def test_quota_exceeded_ends_the_save_rate_limited_without_retrying(
    tmp_path: Path, api_for: Any
) -> None:
    emulator = make_emulator()
    stack = Stack.start(emulator, tmp_path)
    try:
        api = api_for(stack)
        emulator.set_faults(Faults(quota=(0, 6 * 3600.0)))
        emulator.reset_stats()
        save = api.save(kinds=["tracks", "albums"])
        assert save["status"] == "failed", save
        assert save["error"]["code"] == "rate_limited"
        assert "QUOTA_EXCEEDED" in save["error"]["message"]
        # One refused request per request in flight at most: nothing retried.
        first = emulator.stats()["by_status"]
        assert set(first) == {"429"} and first["429"] <= 16
        # The quota pause is shared: the next save fails without a request to Spotify.
        again = api.save(kinds=["tracks"])
        assert again["status"] == "failed" and again["error"]["code"] == "rate_limited"
        assert emulator.stats()["by_status"] == first
    finally:
        stack.stop()
        emulator.stop()
