"""The auth service, for tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import requests
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc

from auth.server import create_auth_server
from auth.settings import AuthSettings
from auth.wiring import build
from kit.channels import open_channel
from spotify_emulator import Emulator
from teststack.running import Running

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"


def auth_settings(
    emulator: Emulator, database_url: str, data_dir: Path, **overrides: Any
) -> AuthSettings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "auth_database_url": database_url,
        "spotify_client_id": CLIENT_ID,
        "spotify_client_secret": CLIENT_SECRET,
        "spotify_api_url": emulator.api_url,
        "spotify_accounts_url": emulator.accounts_url,
        "public_url": "http://127.0.0.1:8000",
        "spotify_timeout_s": 10,
    }
    values.update(overrides)
    return AuthSettings(_env_file=None, **values)


def start_auth(
    emulator: Emulator,
    database_url: str,
    data_dir: Path,
    internal_token: str,
    address: str = "127.0.0.1:0",
    **overrides: Any,
) -> Running:
    settings = auth_settings(emulator, database_url, data_dir, **overrides)
    servicer, db = build(settings)
    served = create_auth_server(servicer, address, internal_token)
    served.start()
    return Running("auth", served, [db.dispose])


def complete_login(
    stub: auth_pb2_grpc.AuthServiceStub, emulator: Emulator, user_id: str
) -> auth_pb2.CompleteLoginResponse:
    """A Spotify login of an emulator user through the auth service's RPCs, as the gateway
    makes it (the browser's nonce passed back); the answer holds the JWT and the user id."""
    start = stub.StartLogin(auth_pb2.StartLoginRequest(return_to="/", client_address="127.0.0.1"))
    parts = urlsplit(start.authorize_url)
    query = parse_qs(parts.query)
    query["emulator_user"] = [user_id]
    approved = requests.get(
        urlunsplit(parts._replace(query=urlencode(query, doseq=True))),
        allow_redirects=False,
        timeout=10,
    )
    callback = parse_qs(urlsplit(approved.headers["location"]).query)
    done: auth_pb2.CompleteLoginResponse = stub.CompleteLogin(
        auth_pb2.CompleteLoginRequest(
            code=callback["code"][0],
            state=callback["state"][0],
            browser_nonce=start.browser_nonce,
        )
    )
    return done


def login_user(auth_address: str, emulator: Emulator, user_id: str, internal_token: str) -> str:
    """Logs an emulator user in through the auth service's RPCs, as the gateway would, and
    returns their Tapedeck user id."""
    channel = open_channel(auth_address, internal_token, timeout=10)
    try:
        return str(
            complete_login(auth_pb2_grpc.AuthServiceStub(channel), emulator, user_id).user_id
        )
    finally:
        channel.close()
