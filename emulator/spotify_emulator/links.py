"""Where this emulator's hrefs, paging links and image URLs point."""

from __future__ import annotations

from typing import Any

_OPEN = "https://open.spotify.com"


class Links:
    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.api = self.base + "/v1"

    def href(self, kind: str, spotify_id: str) -> str:
        return f"{self.api}/{kind}s/{spotify_id}"

    def images(self, key: str, sizes: tuple[int, ...]) -> list[dict[str, Any]]:
        # Served by the emulator itself (a solid colour PNG), so covers work offline.
        return [
            {"height": size, "url": f"{self.base}/image/{key}-{size}", "width": size}
            for size in sizes
        ]


def external(kind: str, spotify_id: str) -> dict[str, str]:
    return {"spotify": f"{_OPEN}/{kind}/{spotify_id}"}
