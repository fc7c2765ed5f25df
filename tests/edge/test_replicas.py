"""Several gateway replicas: each learns revocations from its own stream, so a logout made
through one is refused by every other within a second, and a replica whose stream was down
neither lets a token through unchecked meanwhile nor misses what happened once it is back."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from teststack.auth import start_auth
from teststack.gateway import RunningGateway, gateway_settings
from teststack.stack import Stack


def _me(url: str, token: str) -> requests.Response:
    return requests.get(
        f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )


def _logout(url: str, token: str) -> None:
    out = requests.post(
        f"{url}/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert out.status_code == 204, out.text


def _error(answer: requests.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


@pytest.fixture
def replica(stack: Stack) -> Iterator[RunningGateway]:
    """A second gateway on the same services."""
    settings = gateway_settings(stack.addresses, data_dir=stack.data_dir)
    running = RunningGateway(settings, stack.internal_token).start()
    yield running
    running.stop()


def test_a_logout_on_one_replica_is_refused_on_another_within_a_second(
    stack: Stack, replica: RunningGateway
) -> None:
    stack.gateway.wait_synced()
    replica.wait_synced()
    token, other = stack.login(), stack.login()
    assert _me(replica.url, token).status_code == 200
    _logout(stack.url, token)
    out_at = time.monotonic()
    while (answer := _me(replica.url, token)).status_code == 200:
        assert time.monotonic() - out_at < 1.0, "replica B still accepts the token after 1 s"
        time.sleep(0.01)
    assert time.monotonic() - out_at < 1.0
    _error(answer, 401, "invalid_token")
    assert _me(replica.url, other).status_code == 200


def test_a_personal_token_deleted_through_one_replica_is_refused_on_another_within_a_second(
    stack: Stack, replica: RunningGateway
) -> None:
    replica.wait_synced()
    login = stack.login()
    created = requests.post(
        f"{stack.url}/api/v1/tokens",
        json={"name": "cron", "expires_in_days": None},
        headers={"Authorization": f"Bearer {login}"},
        timeout=10,
    ).json()
    # Seen once by the replica: from now on it remembers the token without asking.
    assert _me(replica.url, created["token"]).status_code == 200
    assert _me(replica.url, created["token"]).status_code == 200
    deleted = requests.delete(
        f"{stack.url}/api/v1/tokens/{created['id']}",
        headers={"Authorization": f"Bearer {login}"},
        timeout=10,
    )
    assert deleted.status_code == 204
    out_at = time.monotonic()
    while (answer := _me(replica.url, created["token"])).status_code == 200:
        assert time.monotonic() - out_at < 1.0, "replica B still accepts the token after 1 s"
        time.sleep(0.01)
    _error(answer, 401, "invalid_token")


def test_a_revocation_made_while_a_replicas_stream_was_down_is_honoured_once_it_reconnects(
    stack: Stack,
) -> None:
    # Replica B talks to a second auth process on the same database; replica A (the stack's
    # gateway) to the first. Stopping the second cuts B's stream, not A's.
    second = start_auth(
        stack.emulator, stack.database_urls["auth"], stack.data_dir, stack.internal_token
    )
    address = second.address
    settings = gateway_settings({**stack.addresses, "auth": address}, data_dir=stack.data_dir)
    replica = RunningGateway(settings, stack.internal_token).start()
    try:
        replica.wait_synced()
        token, other = stack.login(), stack.login()
        assert _me(replica.url, token).status_code == 200

        second.stop()
        deadline = time.monotonic() + 5
        while replica.revocations_synced:
            assert time.monotonic() < deadline, "replica B did not notice its stream broke"
            time.sleep(0.01)
        _logout(stack.url, token)
        # Fail closed: B cannot learn of revocations, nor ask; it lets nothing through.
        _error(_me(replica.url, token), 503, "service_unavailable")
        _error(_me(replica.url, other), 503, "service_unavailable")

        second = start_auth(
            stack.emulator,
            stack.database_urls["auth"],
            stack.data_dir,
            stack.internal_token,
            address=address,
        )
        replica.wait_synced()
        _error(_me(replica.url, token), 401, "invalid_token")
        assert _me(replica.url, other).status_code == 200
    finally:
        replica.stop()
        second.stop()
