"""Durations of the auth service refuse 0 and negative values, naming the variable."""

from __future__ import annotations

import pytest

from auth.settings import AuthSettings
from kit.settings import load_settings


@pytest.mark.parametrize(
    "name",
    [
        "TAPEDECK_JWT_TTL_S",
        "TAPEDECK_LOGIN_STATE_TTL_S",
        "TAPEDECK_REVOCATION_POLL_S",
        "TAPEDECK_REVOCATION_WATCHERS_MAX",
        "TAPEDECK_RECOVERY_FAILURES_MAX",
        "TAPEDECK_RECOVERY_FAILURE_WINDOW_S",
    ],
)
@pytest.mark.parametrize("value", ["0", "-5"])
def test_zero_or_a_negative_value_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        load_settings(AuthSettings)
    assert name in str(stopped.value)
