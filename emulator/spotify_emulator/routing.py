"""A small route table: templates like /v1/playlists/{id}/items matched against paths."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

H = TypeVar("H")


@dataclass(frozen=True)
class Route(Generic[H]):
    method: str
    template: str
    handler: H
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        """How stats name it: "GET /v1/playlists/{id}/items"."""
        return f"{self.method} {self.template}"


class Router(Generic[H]):
    def __init__(self) -> None:
        self.routes: list[Route[H]] = []

    def add(self, method: str, template: str, handler: H) -> None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        self.routes.append(Route(method, template, handler, re.compile(f"^{regex}$")))

    def match(self, method: str, path: str) -> tuple[Route[H], dict[str, str]] | None:
        for route in self.routes:
            if route.method == method:
                found = route.pattern.match(path)
                if found:
                    return route, found.groupdict()
        return None

    def route(self, method: str, template: str) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self.add(method, template, handler)
            return handler

        return register
