"""Each service's own metrics, scraped over HTTP as Prometheus would, after a save against an
emulator that answers 429: saves started and ended, Spotify requests by route template and
kind (never an id), 429s, syncs running."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from teststack.auth import start_auth
from teststack.entities import SERVICES, entity_settings
from teststack.gateway import RunningGateway, gateway_settings
from teststack.library import library_settings
from teststack.login import login
from teststack.running import Running

from collection.server import build as build_entity
from collection.server import create_entity_server
from kit.settings import ENTITY_SERVICES
from kit.spotify.client import route_of
from kit.testing.databases import sqlite_url
from library.server import create_library_server
from library.wiring import build as build_library
from spotify_emulator import Emulator, Faults

KIND_OF = {"playlist": "playlists", "track": "tracks", "album": "albums", "artist": "artists"}
# Every route a save asks Spotify for, as the emulator names them.
ROUTES = {
    "/me/playlists",
    "/playlists/{id}",
    "/playlists/{id}/items",
    "/me/tracks",
    "/me/albums",
    "/albums/{id}/tracks",
    "/me/following",
}
Samples = list[tuple[str, dict[str, str], float]]


@dataclass
class MeteredStack:
    """The services on 127.0.0.1:0, each serving its metrics on a port of its own."""

    url: str = ""
    running: list[Running] = field(default_factory=list)
    gateway: RunningGateway | None = None
    # Metrics endpoints by service name.
    metrics: dict[str, str] = field(default_factory=dict)

    def login(self, user: str = "tapedeck-demo") -> str:
        return login(self.url, user)

    def stop(self) -> None:
        if self.gateway is not None:
            self.gateway.stop()
        for running in reversed(self.running):
            running.stop()


@pytest.fixture
def metered(emulator: Emulator, tmp_path: Path) -> Iterator[MeteredStack]:
    stack = MeteredStack()
    token = "metrics-test-internal-token-of-32-characters"
    try:
        auth = start_auth(emulator, sqlite_url(tmp_path, "auth"), tmp_path, token)
        stack.running.append(auth)
        addresses = {"auth": auth.address}
        for name in ENTITY_SERVICES:
            entity = entity_settings(
                name, emulator, sqlite_url(tmp_path, name), tmp_path, auth.address
            )
            built = build_entity(SERVICES[name], entity, token, metrics_addr="127.0.0.1:0")
            served = create_entity_server(built, "127.0.0.1:0", token, entity.rpc_workers)
            served.start()
            stack.running.append(Running(name, served, [built.close]))
            addresses[name] = f"127.0.0.1:{served.port}"
            assert built.metrics_endpoint is not None
            stack.metrics[name] = f"http://127.0.0.1:{built.metrics_endpoint.port}/metrics"
        settings = library_settings(
            sqlite_url(tmp_path, "library"),
            tmp_path,
            addresses,
            library_metrics_addr="127.0.0.1:0",
        )
        library = build_library(settings, token)
        served = create_library_server(library.servicer, "127.0.0.1:0", token)
        served.start()
        stack.running.append(Running("library", served, [library.close]))
        addresses["library"] = f"127.0.0.1:{served.port}"
        assert library.metrics_endpoint is not None
        stack.metrics["library"] = f"http://127.0.0.1:{library.metrics_endpoint.port}/metrics"
        stack.gateway = RunningGateway(gateway_settings(addresses, data_dir=tmp_path), token)
        stack.url = stack.gateway.start().url
        yield stack
    finally:
        stack.stop()


def _scrape(url: str) -> Samples:
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    ]


def _value(samples: Samples, name: str, **labels: str) -> float:
    found = [v for n, ls, v in samples if n == name and labels.items() <= ls.items()]
    assert found, f"{name}{labels} is not exported"
    return sum(found)


def test_each_service_counts_its_work_for_prometheus(
    metered: MeteredStack, emulator: Emulator, api_for: Any
) -> None:
    api = api_for(metered)
    truth = emulator.user("tapedeck-demo")
    # More than 5 requests a second are answered 429, Retry-After 1: low enough that the
    # kinds starting together meet it however slow the machine.
    emulator.set_faults(Faults(rate_limit=(5, 1.0), retry_after_s=1))
    emulator.reset_stats()
    save = api.save()
    assert save["status"] == "succeeded", save
    stats = emulator.stats()
    assert stats["by_status"].get("429", 0) > 0  # the fault did bite

    scraped = {name: _scrape(url) for name, url in metered.metrics.items()}

    library = scraped["library"]
    assert _value(library, "tapedeck_saves_started_total") == 1
    assert _value(library, "tapedeck_saves_finished_total", status="succeeded") == 1
    assert _value(library, "tapedeck_saves_finished_total", status="partial") == 0
    assert _value(library, "tapedeck_saves_finished_total", status="failed") == 0
    assert _value(library, "tapedeck_save_duration_seconds_count", status="succeeded") == 1
    assert _value(library, "tapedeck_saves_running") == 0
    assert _value(library, "process_resident_memory_bytes") > 0

    # Spotify requests by route template and kind add up to what the emulator answered:
    # every request, retries and 429s included, and the save's own count.
    by_route: Counter[str] = Counter()
    rate_limited = 0.0
    for name in ENTITY_SERVICES:
        samples = scraped[name]
        kind = KIND_OF[name]
        assert _value(samples, "tapedeck_syncs_running", kind=kind) == 0
        for metric, labels, value in samples:
            if metric != "tapedeck_spotify_requests_total":
                continue
            assert labels["kind"] == kind
            assert labels["route"] in ROUTES, labels
            by_route[labels["route"]] += int(value)
            if labels["status"] == "429":
                rate_limited += value
    assert {f"GET /v1{route}": n for route, n in by_route.items()} == stats["by_route"]
    assert sum(by_route.values()) == save["spotify_requests"] == stats["total"]
    assert rate_limited == stats["by_status"]["429"]

    # No Spotify id (nor the user's) in any label of any service.
    ids = {"tapedeck-demo"}
    ids |= {p["id"] for p in truth.playlists_simplified()}
    ids |= {s["album"]["id"] for s in truth.saved_albums()}
    ids |= {s["track"]["id"] for s in truth.saved_tracks()}
    ids |= {a["id"] for a in truth.followed_artists()}
    values = {v for samples in scraped.values() for _, ls, _ in samples for v in ls.values()}
    assert not {value for value in values for id_ in ids if id_ in value}


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("me/playlists", "/me/playlists"),
        ("playlists/3cEYpjA9oz9GiPac4AsH4n", "/playlists/{id}"),
        ("playlists/3cEYpjA9oz9GiPac4AsH4n/items", "/playlists/{id}/items"),
        ("/albums/4aawyAB9vmqN3uQ7FjRGTy/tracks", "/albums/{id}/tracks"),
        ("users/smedjan/playlists", "/users/{id}/playlists"),
        ("me/following?type=artist", "/me/following"),
    ],
)
def test_a_spotify_route_is_its_template_with_every_id_replaced(path: str, route: str) -> None:
    assert route_of(path) == route
