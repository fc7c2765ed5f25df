"""A login no one can forge, and pending logins that cannot pile up: the auth service over
real gRPC, against the Spotify emulator and a real database."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import grpc
import pytest
import requests
import sqlalchemy as sa
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc
from teststack.auth import start_auth

from auth.store import AuthStore
from auth.wiring import MIGRATIONS
from kit.channels import open_channel
from kit.database import open_database
from spotify_emulator import Emulator

Stub = auth_pb2_grpc.AuthServiceStub


@pytest.fixture
def stub(
    emulator: Emulator, database_url: str, tmp_path: Path, internal_token: str
) -> Iterator[Stub]:
    running = start_auth(
        emulator,
        database_url,
        tmp_path,
        internal_token,
        login_pending_per_client=3,
        login_pending_total=5,
    )
    channel = open_channel(running.address, internal_token, timeout=10)
    yield auth_pb2_grpc.AuthServiceStub(channel)
    channel.close()
    running.stop()


def _start(stub: Stub, address: str = "198.51.100.7") -> auth_pb2.StartLoginResponse:
    answer: auth_pb2.StartLoginResponse = stub.StartLogin(
        auth_pb2.StartLoginRequest(return_to="/", client_address=address)
    )
    return answer


def _approve(authorize_url: str, user: str = "alice") -> dict[str, str]:
    """What Spotify sends the browser back with: code and state."""
    parts = urlsplit(authorize_url)
    query = parse_qs(parts.query)
    query["emulator_user"] = [user]
    approved = requests.get(
        urlunsplit(parts._replace(query=urlencode(query, doseq=True))),
        allow_redirects=False,
        timeout=10,
    )
    return {k: v[0] for k, v in parse_qs(urlsplit(approved.headers["location"]).query).items()}


def _complete(stub: Stub, code: str, state: str, nonce: str) -> auth_pb2.CompleteLoginResponse:
    answer: auth_pb2.CompleteLoginResponse = stub.CompleteLogin(
        auth_pb2.CompleteLoginRequest(code=code, state=state, browser_nonce=nonce)
    )
    return answer


def _refused(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def test_the_authorize_url_carries_an_s256_challenge_and_the_login_completes(
    stub: Stub,
) -> None:
    start = _start(stub)
    query = parse_qs(urlsplit(start.authorize_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43  # base64url of SHA-256, unpadded
    assert start.browser_nonce and start.expires_in == 600
    back = _approve(start.authorize_url)
    # The emulator redeems the code only with the verifier of that challenge.
    assert _complete(stub, back["code"], back["state"], start.browser_nonce).token


def test_a_callback_without_the_browser_nonce_is_refused_and_spends_the_state(
    stub: Stub,
) -> None:
    start = _start(stub)
    back = _approve(start.authorize_url)
    missing = _refused(lambda: _complete(stub, back["code"], back["state"], ""))
    assert missing.code() == grpc.StatusCode.INVALID_ARGUMENT
    # The browser that started it cannot finish it any more either: nothing to retry.
    again = _refused(lambda: _complete(stub, back["code"], back["state"], start.browser_nonce))
    assert again.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_victim_cannot_be_logged_in_with_the_attackers_state(stub: Stub) -> None:
    """Login CSRF: the attacker's callback URL opened in the victim's browser, which holds a
    nonce of its own login (or none)."""
    attacker = _start(stub)
    victim = _start(stub)
    back = _approve(attacker.authorize_url, user="mallory")
    refused = _refused(lambda: _complete(stub, back["code"], back["state"], victim.browser_nonce))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_a_code_injected_into_another_login_is_refused(stub: Stub) -> None:
    """A code stolen from one login, brought back with another login's state and nonce: its
    PKCE verifier is not the one of the code's challenge."""
    stolen = _approve(_start(stub).authorize_url, user="alice")
    mine = _start(stub)
    own = _approve(mine.authorize_url, user="mallory")
    refused = _refused(lambda: _complete(stub, stolen["code"], own["state"], mine.browser_nonce))
    assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_only_a_hash_of_the_browser_nonce_is_stored(stub: Stub, database_url: str) -> None:
    start = _start(stub)
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = [
            tuple(str(v) for v in row)
            for row in conn.execute(sa.text("SELECT * FROM login_states"))
        ]
    engine.dispose()
    assert len(rows) == 1
    assert not any(start.browser_nonce in value for value in rows[0])
    assert hashlib.sha256(start.browser_nonce.encode()).hexdigest() in rows[0]


def test_pending_logins_are_capped_per_client_address_with_retry_after(stub: Stub) -> None:
    for _ in range(3):
        _start(stub, "198.51.100.7")
    refused = _refused(lambda: _start(stub, "198.51.100.7"))
    assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    metadata: Any = refused.trailing_metadata()
    trailers = {str(key): str(value) for key, value in metadata}
    assert trailers["tapedeck-error-code"] == "rate_limited"
    # Room comes back when the oldest pending login expires: about the state's lifetime.
    assert 590 <= int(trailers["tapedeck-retry-after"]) <= 600
    assert _start(stub, "203.0.113.9").state  # another address still starts


def test_pending_logins_are_capped_in_total(stub: Stub) -> None:
    for n in range(5):
        _start(stub, f"192.0.2.{n}")
    refused = _refused(lambda: _start(stub, "192.0.2.200"))
    assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_a_completed_login_makes_room_for_another(stub: Stub) -> None:
    starts = [_start(stub) for _ in range(3)]
    back = _approve(starts[0].authorize_url)
    _complete(stub, back["code"], back["state"], starts[0].browser_nonce)
    assert _start(stub).state


def test_expired_logins_are_deleted_when_a_new_one_is_written(database_url: str) -> None:
    store = AuthStore(open_database(database_url, MIGRATIONS))
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

    def add(state: str, at: datetime) -> datetime | None:
        return store.add_login_state(
            state=state,
            return_to="/",
            browser_nonce_hash="h" * 64,
            code_verifier="v" * 86,
            client_address="198.51.100.7",
            now=at,
            expired_before=at - timedelta(minutes=10),
            per_address=3,
            in_total=100,
        )

    for n in range(3):
        assert add(f"old-{n}", now - timedelta(hours=1)) is None
    # The address is at its cap an hour ago, yet the new login fits: the old ones are gone.
    assert add("new", now) is None
    for n in range(3):
        assert store.take_login_state(f"old-{n}", datetime.min.replace(tzinfo=UTC)) is None


def test_ten_thousand_anonymous_logins_leave_at_most_the_cap(
    emulator: Emulator, sqlite_database_url: str, tmp_path: Path, internal_token: str
) -> None:
    running = start_auth(
        emulator,
        sqlite_database_url,
        tmp_path,
        internal_token,
        login_pending_per_client=20,
        login_pending_total=1000,
    )
    channel = open_channel(running.address, internal_token, timeout=30)
    stub = auth_pb2_grpc.AuthServiceStub(channel)

    def start(n: int) -> bool:
        # Half from one address, half from addresses of their own.
        address = "198.51.100.7" if n % 2 else f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        try:
            _start(stub, address)
        except grpc.RpcError as refused:
            assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            return False
        return True

    try:
        with ThreadPoolExecutor(8) as pool:
            started = sum(pool.map(start, range(10_000)))
    finally:
        channel.close()
        running.stop()
    engine = sa.create_engine(sqlite_database_url)
    with engine.connect() as conn:
        pending = conn.execute(sa.text("SELECT count(*) FROM login_states")).scalar_one()
        from_one = conn.execute(
            sa.text("SELECT count(*) FROM login_states WHERE client_address = '198.51.100.7'")
        ).scalar_one()
    engine.dispose()
    assert started == pending == 1000
    assert from_one == 20
