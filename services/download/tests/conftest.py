"""What the download service's tests share: ffmpeg, which only the conversions need."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture
def ffmpeg() -> str:
    """ffmpeg's path. The service runs without it (files kept in their native container), so
    outside CI a machine without it skips these tests with the reason; under CI=true, where
    .ci/run installs it, they must run."""
    path = shutil.which("ffmpeg")
    if path is not None:
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("ffmpeg must be installed under CI=true (.ci/run installs it)")
    pytest.skip("ffmpeg is not installed: the conversions to mp3/m4a are not tested here")
