"""The whole of Tapedeck in-process, for system tests: auth, the four entity services, the
library service, the download service and the gateway, on 127.0.0.1:0, against the Spotify
emulator the test gives. Services can be stopped and started again at the same address
mid-test."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from download.downloads import Downloaded, Downloads
from kit.testing.databases import sqlite_url
from spotify_emulator import Emulator
from teststack.auth import start_auth
from teststack.download import start_download
from teststack.entities import start_entity
from teststack.gateway import RunningGateway, gateway_settings
from teststack.library import ENTITY_SERVICES, start_library
from teststack.login import login
from teststack.running import Running


@dataclass
class Stack:
    emulator: Emulator
    data_dir: Path
    internal_token: str
    database_urls: dict[str, str]
    library_overrides: dict[str, Any]
    entity_overrides: dict[str, Any]
    auth: Running
    entities: dict[str, Running]
    library: Running
    download: Running
    # Records finished downloads directly (exports' tests: a file without running a job).
    downloads: Downloads
    downloads_dir: Path
    gateway: RunningGateway
    # Where each service was first started: a restarted one comes back there.
    addresses: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        emulator: Emulator,
        data_dir: Path,
        *,
        database_urls: dict[str, str] | None = None,
        internal_token: str | None = None,
        entity_overrides: dict[str, Any] | None = None,
        gateway_overrides: dict[str, Any] | None = None,
        download_overrides: dict[str, Any] | None = None,
        **library_overrides: Any,
    ) -> Stack:
        """`database_urls`: by service name; a service not named gets its own SQLite file
        in `data_dir`. `entity_overrides`: EntitySettings fields of every entity service;
        `gateway_overrides`: GatewaySettings fields; `download_overrides`: DownloadSettings
        fields; `library_overrides`: LibrarySettings fields."""
        entity_overrides = entity_overrides or {}
        # Restores write to the emulator.
        library_overrides = {"spotify_api_url": emulator.api_url, **library_overrides}
        token = internal_token or secrets.token_urlsafe(24)
        urls = {
            name: (database_urls or {}).get(name) or sqlite_url(data_dir, name)
            for name in ("auth", "library", *ENTITY_SERVICES, "download")
        }
        started: list[Running] = []
        try:
            auth = start_auth(emulator, urls["auth"], data_dir, token)
            started.append(auth)
            entities = {}
            for name in ENTITY_SERVICES:
                entities[name] = start_entity(
                    name,
                    emulator=emulator,
                    auth_address=auth.address,
                    database_url=urls[name],
                    data_dir=data_dir,
                    internal_token=token,
                    **entity_overrides,
                )
                started.append(entities[name])
            addresses = {"auth": auth.address, **{n: r.address for n, r in entities.items()}}
            library = start_library(
                database_url=urls["library"],
                data_dir=data_dir,
                internal_token=token,
                addresses=addresses,
                **library_overrides,
            )
            started.append(library)
            addresses["library"] = library.address
            download = start_download(
                database_url=urls["download"],
                data_dir=data_dir,
                internal_token=token,
                library_address=library.address,
                **(download_overrides or {}),
            )
            started.append(download.running)
            addresses["download"] = download.running.address
            settings = gateway_settings(addresses, data_dir=data_dir, **(gateway_overrides or {}))
            gateway = RunningGateway(settings, token).start()
        except BaseException:
            for running in reversed(started):
                running.stop()
            raise
        return cls(
            emulator=emulator,
            data_dir=data_dir,
            internal_token=token,
            database_urls=urls,
            library_overrides=library_overrides,
            entity_overrides=entity_overrides,
            auth=auth,
            entities=entities,
            library=library,
            download=download.running,
            downloads=download.downloads,
            downloads_dir=download.downloads_dir,
            gateway=gateway,
            addresses=addresses,
        )

    @property
    def url(self) -> str:
        return self.gateway.url

    def login(self, user: str = "tapedeck-demo") -> str:
        """A Tapedeck JWT for that emulator user, logged in through the gateway."""
        return login(self.url, user)

    def stop_entity(self, name: str) -> None:
        """Stops an entity service (playlist, track, album, artist) at once, as if it died."""
        self.entities[name].stop()

    def start_entity(self, name: str) -> None:
        """Starts a stopped entity service again, at its old address, on its old database."""
        self.entities[name] = start_entity(
            name,
            emulator=self.emulator,
            auth_address=self.auth.address,
            database_url=self.database_urls[name],
            data_dir=self.data_dir,
            internal_token=self.internal_token,
            address=self.addresses[name],
            **self.entity_overrides,
        )

    def restart_library(self) -> None:
        """Stops the library service (its running saves end, interrupted) and starts it
        again at its old address, on its old database."""
        self.library.stop()
        self.library = start_library(
            database_url=self.database_urls["library"],
            data_dir=self.data_dir,
            internal_token=self.internal_token,
            addresses=self.addresses,
            address=self.addresses["library"],
            **self.library_overrides,
        )

    def record_download(
        self, user_id: str, track_id: str, path: str, format: str, duration_ms: int
    ) -> None:
        """A finished download of the user's track, as a succeeded job records it."""
        self.downloads.record(user_id, Downloaded(track_id, path, format, duration_ms))

    def stop(self) -> None:
        self.gateway.stop()
        self.download.stop()
        self.library.stop()
        for running in self.entities.values():
            running.stop()
        self.auth.stop()
