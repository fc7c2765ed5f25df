"""The YouTube source, offline: yt-dlp's search answers are canned (a search would reach the
internet), everything after it is real: the matcher picks among the results, and real
yt-dlp downloads the chosen one from the local audio server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from teststack.audio import AudioServer

from download import fetch as fetch_module
from download.fetch import FetchSettings, Permanent, fetch
from download.jobs import TrackInfo

TRACK = TrackInfo(
    id="0VjIjW4GlUZAMYd2vXMi3b",
    name="Blinding Lights",
    artists=("The Weeknd",),
    album="After Hours",
    isrc="USUG11904206",
    duration_ms=200_040,
)


@pytest.fixture
def audio() -> Iterator[AudioServer]:
    server = AudioServer().start()
    yield server
    server.stop()


def entry(
    audio: AudioServer, video: str, title: str, channel: str, seconds: float
) -> dict[str, Any]:
    return {
        "url": f"{audio.url}/{video}.wav",
        "title": title,
        "channel": channel,
        "duration": seconds,
        "view_count": 1000,
    }


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    """What each search answers (by query); every other address goes to real yt-dlp."""
    answers: dict[str, list[dict[str, Any]]] = {}
    real = fetch_module.YoutubeDL

    class Searching(real):  # type: ignore[misc, valid-type]
        def extract_info(self, url: str, *args: Any, **kwargs: Any) -> Any:
            if url.startswith(("ytsearch", "scsearch")):
                return {"_type": "playlist", "entries": answers.get(url, [])}
            return super().extract_info(url, *args, **kwargs)

    monkeypatch.setattr(fetch_module, "YoutubeDL", Searching)
    return answers


def test_the_matching_result_is_downloaded_not_the_first_one(
    audio: AudioServer, searches: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    searches['ytsearch10:"USUG11904206"'] = []
    searches["ytsearch10:The Weeknd - Blinding Lights"] = [
        entry(audio, "live", "The Weeknd - Blinding Lights (Live at the Grammys)", "Grammys", 230),
        entry(audio, "loop", "Blinding Lights 1 hour loop", "Loops", 3600),
        entry(audio, "topic", "Blinding Lights", "The Weeknd - Topic", 201),
    ]
    got = fetch(TRACK, "youtube", tmp_path, FetchSettings(), lambda _: None, lambda: False)
    assert got.source_url == f"{audio.url}/topic.wav"
    assert got.match.uploader == "The Weeknd - Topic"
    assert got.file.read_bytes() == audio.audio
    assert audio.requests["/topic.wav"] > 0 and audio.requests["/live.wav"] == 0


def test_no_acceptable_result_fails_listing_the_candidates(
    audio: AudioServer, searches: dict[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    searches["ytsearch10:The Weeknd - Blinding Lights"] = [
        entry(audio, "cover", "Blinding Lights (Cover)", "Some Singer", 199),
        entry(audio, "slowed", "The Weeknd - Blinding Lights (slowed + reverb)", "Vibes", 260),
    ]
    with pytest.raises(Permanent) as failed:
        fetch(TRACK, "youtube", tmp_path, FetchSettings(), lambda _: None, lambda: False)
    assert failed.value.reason.startswith("no match")
    assert "Blinding Lights (Cover)" in failed.value.reason
    assert not any(audio.requests.values()), "nothing was downloaded"
