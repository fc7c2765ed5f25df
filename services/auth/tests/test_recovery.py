"""Recovery codes over real gRPC: ten single-use codes that log in without Spotify; wrong
codes are refused, and repeated failures from one client address are met with 429, across
replicas."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc
from teststack.auth import start_auth
from teststack.running import Running

from kit.channels import open_channel
from spotify_emulator import Emulator


def _codes(stub: auth_pb2_grpc.AuthServiceStub, user_id: str) -> list[str]:
    return list(
        stub.CreateRecoveryCodes(auth_pb2.CreateRecoveryCodesRequest(user_id=user_id)).codes
    )


def _redeem(
    stub: auth_pb2_grpc.AuthServiceStub, code: str, client: str = "203.0.113.7"
) -> auth_pb2.CompleteLoginResponse:
    return stub.RedeemRecoveryCode(
        auth_pb2.RedeemRecoveryCodeRequest(code=code, client_address=client)
    )


def _refusal(call: Callable[[], object]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call()
    return caught.value


def test_a_recovery_code_logs_in_once_without_spotify(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str, emulator: Emulator
) -> None:
    codes = _codes(stub, alice)
    assert len(set(codes)) == 10
    assert all(re.fullmatch(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3}", code) for code in codes)

    calls = sum(emulator.stats()["accounts"].values())
    done = _redeem(stub, codes[0])
    assert sum(emulator.stats()["accounts"].values()) == calls
    assert (done.user_id, done.return_to) == (alice, "/")
    assert done.expires_in > 0
    assert json.loads(done.user_json) == emulator.user("alice").profile()
    who = stub.Authenticate(auth_pb2.AuthenticateRequest(token=done.token))
    assert (who.user_id, who.kind) == (alice, auth_pb2.TOKEN_KIND_LOGIN)

    again = _refusal(lambda: _redeem(stub, codes[0]))
    assert again.code() == grpc.StatusCode.UNAUTHENTICATED
    # As typed by a person: lower case, without dashes, with spaces.
    typed = codes[1].lower().replace("-", " ")
    assert _redeem(stub, typed).user_id == alice


def test_new_codes_replace_the_earlier_ones(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str
) -> None:
    old = _codes(stub, alice)
    new = _codes(stub, alice)
    assert _refusal(lambda: _redeem(stub, old[0])).code() == grpc.StatusCode.UNAUTHENTICATED
    assert _redeem(stub, new[0]).user_id == alice


def test_a_user_whose_spotify_authorization_is_lost_logs_in_with_a_code(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str, emulator: Emulator
) -> None:
    codes = _codes(stub, alice)
    held = stub.GetSpotifyToken(auth_pb2.GetSpotifyTokenRequest(user_id=alice)).access_token
    emulator.revoke_refresh_tokens("alice")
    emulator.expire_access_tokens("alice")
    _refusal(
        lambda: stub.GetSpotifyToken(
            auth_pb2.GetSpotifyTokenRequest(user_id=alice, rejected_token=held)
        )
    )
    done = _redeem(stub, codes[0])
    who = stub.Authenticate(auth_pb2.AuthenticateRequest(token=done.token))
    assert who.user_id == alice and who.spotify_authorization_lost


def test_repeated_wrong_codes_from_one_address_are_rate_limited_on_every_replica(
    auth: Running,
    stub: auth_pb2_grpc.AuthServiceStub,
    alice: str,
    emulator: Emulator,
    database_url: str,
    tmp_path: Path,
    internal_token: str,
) -> None:
    codes = _codes(stub, alice)
    for _ in range(5):
        wrong = _refusal(lambda: _redeem(stub, "AAAA-AAAA-AAAA-AAAA"))
        assert wrong.code() == grpc.StatusCode.UNAUTHENTICATED

    limited = _refusal(lambda: _redeem(stub, "AAAA-AAAA-AAAA-AAAA"))
    assert limited.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    metadata: Any = limited.trailing_metadata()  # type: ignore[attr-defined]
    trailers = {str(key): str(value) for key, value in metadata}
    assert trailers["tapedeck-error-code"] == "rate_limited"
    assert 0 < int(trailers["tapedeck-retry-after"]) <= 900
    # Even a right code waits: guessing must not go on until one hits.
    right = _refusal(lambda: _redeem(stub, codes[0]))
    assert right.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

    other = start_auth(emulator, database_url, tmp_path, internal_token)
    channel = open_channel(other.address, internal_token, timeout=10)
    try:
        replica = auth_pb2_grpc.AuthServiceStub(channel)
        assert _refusal(lambda: _redeem(replica, codes[0])).code() == (
            grpc.StatusCode.RESOURCE_EXHAUSTED
        )
        # Another address is not held back, and the code was not used up meanwhile.
        assert _redeem(replica, codes[0], client="198.51.100.9").user_id == alice
    finally:
        channel.close()
        other.stop()


def test_only_hashes_of_the_codes_are_stored(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str, database_url: str
) -> None:
    codes = _codes(stub, alice)
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = repr(conn.execute(sa.text("SELECT * FROM recovery_codes")).all())
    engine.dispose()
    for code in codes:
        assert code not in rows and code.replace("-", "") not in rows


def test_codes_for_an_unknown_user_are_not_made(stub: auth_pb2_grpc.AuthServiceStub) -> None:
    assert _refusal(lambda: _codes(stub, "0" * 32)).code() == grpc.StatusCode.NOT_FOUND
