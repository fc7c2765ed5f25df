"""The auth service over real gRPC for this folder's tests: `auth` (a server on the test's
database and the emulator), `stub` (a channel to it with the root internal credential) and
`alice` (an emulator user logged in through it). A test module needing other settings
defines its own `auth`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tapedeck.auth.v1 import auth_pb2_grpc
from teststack.auth import login_user, start_auth
from teststack.running import Running

from kit.channels import open_channel
from spotify_emulator import Emulator


@pytest.fixture
def auth(
    emulator: Emulator, database_url: str, tmp_path: Path, internal_token: str
) -> Iterator[Running]:
    running = start_auth(emulator, database_url, tmp_path, internal_token)
    yield running
    running.stop()


@pytest.fixture
def stub(auth: Running, internal_token: str) -> Iterator[auth_pb2_grpc.AuthServiceStub]:
    channel = open_channel(auth.address, internal_token, timeout=10)
    yield auth_pb2_grpc.AuthServiceStub(channel)
    channel.close()


@pytest.fixture
def alice(auth: Running, emulator: Emulator, internal_token: str) -> str:
    return login_user(auth.address, emulator, "alice", internal_token)
