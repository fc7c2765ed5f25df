"""Personal access tokens over real gRPC: made, listed, used, deleted; another user's are
unknown; expired ones are refused; the secret is never stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
import sqlalchemy as sa
from tapedeck.auth.v1 import auth_pb2, auth_pb2_grpc
from teststack.auth import login_user
from teststack.running import Running

from auth.personal_token_store import PersonalTokenStore
from auth.personal_tokens import PersonalTokens
from auth.revocation_store import RevocationStore
from auth.wiring import MIGRATIONS
from kit.database import open_database
from spotify_emulator import Emulator


def _create(
    stub: auth_pb2_grpc.AuthServiceStub, user_id: str, name: str = "cron", days: int = 0
) -> auth_pb2.CreatePersonalTokenResponse:
    return stub.CreatePersonalToken(
        auth_pb2.CreatePersonalTokenRequest(user_id=user_id, name=name, expires_in_days=days)
    )


def _refused(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as caught:
        call()  # type: ignore[operator]
    code: grpc.StatusCode = caught.value.code()
    return code


def test_a_personal_token_authenticates_as_its_user_until_deleted(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str
) -> None:
    created = _create(stub, alice, "backup cron", days=30)
    assert created.secret.startswith("tdp_") and len(created.secret) > 40
    assert created.token.name == "backup cron"
    assert created.token.expires_at.seconds - created.token.created_at.seconds == 30 * 86400

    who = stub.Authenticate(auth_pb2.AuthenticateRequest(token=created.secret))
    assert (who.user_id, who.token_id, who.kind) == (
        alice,
        created.token.id,
        auth_pb2.TOKEN_KIND_PERSONAL,
    )
    assert who.expires_at == created.token.expires_at

    stub.DeletePersonalToken(
        auth_pb2.DeletePersonalTokenRequest(user_id=alice, token_id=created.token.id)
    )
    assert (
        _refused(lambda: stub.Authenticate(auth_pb2.AuthenticateRequest(token=created.secret)))
        == grpc.StatusCode.UNAUTHENTICATED
    )


def test_a_token_without_expiry_has_none_and_the_list_never_shows_a_secret(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str
) -> None:
    first = _create(stub, alice, "cli")
    second = _create(stub, alice, "cron", days=1)
    listed = stub.ListPersonalTokens(auth_pb2.ListPersonalTokensRequest(user_id=alice)).tokens
    assert [t.id for t in listed] == [first.token.id, second.token.id]
    assert not listed[0].HasField("expires_at") and listed[1].HasField("expires_at")
    who = stub.Authenticate(auth_pb2.AuthenticateRequest(token=first.secret))
    assert not who.HasField("expires_at")
    assert first.secret not in str(listed)


def test_another_users_token_is_not_found_and_keeps_working(
    auth: Running,
    stub: auth_pb2_grpc.AuthServiceStub,
    emulator: Emulator,
    internal_token: str,
    alice: str,
) -> None:
    bob = login_user(auth.address, emulator, "bob", internal_token)
    bobs = _create(stub, bob)
    for token_id in (bobs.token.id, "0" * 32, ""):
        assert (
            _refused(
                lambda token_id=token_id: stub.DeletePersonalToken(
                    auth_pb2.DeletePersonalTokenRequest(user_id=alice, token_id=token_id)
                )
            )
            == grpc.StatusCode.NOT_FOUND
        )
    assert stub.ListPersonalTokens(auth_pb2.ListPersonalTokensRequest(user_id=alice)).tokens == []
    assert stub.Authenticate(auth_pb2.AuthenticateRequest(token=bobs.secret)).user_id == bob


@pytest.mark.parametrize(
    ("name", "days"),
    [("", 0), ("   ", 0), ("x" * 101, 0), ("a\nb", 0), ("ok", -1), ("ok", 3651)],
)
def test_a_bad_name_or_expiry_is_refused(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str, name: str, days: int
) -> None:
    assert _refused(lambda: _create(stub, alice, name, days)) == grpc.StatusCode.INVALID_ARGUMENT


def test_the_longest_name_and_expiry_are_accepted(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str
) -> None:
    assert _create(stub, alice, "x" * 100, 3650).token.name == "x" * 100


def test_logging_out_with_a_personal_token_revokes_it(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str
) -> None:
    created = _create(stub, alice)
    stub.Logout(auth_pb2.LogoutRequest(token=created.secret))
    assert stub.ListPersonalTokens(auth_pb2.ListPersonalTokensRequest(user_id=alice)).tokens == []
    assert (
        _refused(lambda: stub.Authenticate(auth_pb2.AuthenticateRequest(token=created.secret)))
        == grpc.StatusCode.UNAUTHENTICATED
    )


def test_deleting_a_personal_token_tells_revocation_watchers(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str
) -> None:
    created = _create(stub, alice, days=7)
    stream = stub.WatchRevocations(auth_pb2.WatchRevocationsRequest(), timeout=30)
    while not next(stream).HasField("caught_up"):
        pass
    stub.DeletePersonalToken(
        auth_pb2.DeletePersonalTokenRequest(user_id=alice, token_id=created.token.id)
    )
    event = next(stream)
    stream.cancel()  # type: ignore[attr-defined]
    assert event.token_revoked.token_id == created.token.id
    assert event.token_revoked.expires_at == created.token.expires_at


def test_only_a_hash_of_the_secret_is_stored(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str, database_url: str
) -> None:
    created = _create(stub, alice)
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM personal_tokens")).all()
    engine.dispose()
    assert len(rows) == 1
    assert created.secret not in repr(rows)
    assert created.secret.removeprefix("tdp_") not in repr(rows)


def test_an_expired_personal_token_is_refused(
    stub: auth_pb2_grpc.AuthServiceStub, alice: str, database_url: str
) -> None:
    """The service's own tokens and store, read 2 days later by a clock moved forward."""
    created = _create(stub, alice, days=1)
    db = open_database(database_url, MIGRATIONS)
    try:
        store = PersonalTokenStore(db, RevocationStore(db))
        later = PersonalTokens(store, clock=lambda: datetime.now(UTC) + timedelta(days=2))
        from kit import errors

        with pytest.raises(errors.Unauthenticated):
            later.authenticate(created.secret)
        assert PersonalTokens(store).authenticate(created.secret)[0] == alice
    finally:
        db.dispose()
