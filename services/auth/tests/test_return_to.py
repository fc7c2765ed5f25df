"""return_to is a path on the gateway's own origin, or the login is refused: no open redirect."""

from __future__ import annotations

import pytest

from auth.logins import safe_return_to
from kit import errors


@pytest.mark.parametrize("path", ["/", "/playlists", "/playlists/abc?x=1", "/a/b%20c"])
def test_paths_on_our_origin_are_kept(path: str) -> None:
    assert safe_return_to(path) == path


def test_a_fragment_is_dropped_so_the_token_fragment_survives() -> None:
    assert safe_return_to("/playlists#top") == "/playlists"


def test_empty_means_home() -> None:
    assert safe_return_to("") == "/"


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/",
        "//evil.example",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/ok\r\nLocation: https://evil.example",
        "/" + "a" * 3000,
    ],
)
def test_anything_else_is_refused(hostile: str) -> None:
    with pytest.raises(errors.InvalidArgument):
        safe_return_to(hostile)
