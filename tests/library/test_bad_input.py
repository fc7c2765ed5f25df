"""Bad input gets a clear 4xx in the error shape of docs/api.md, never a 500 or a stack trace."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
import requests
from tapedeck.collection.v1 import collection_pb2, collection_pb2_grpc
from teststack.fixtures import make_emulator
from teststack.stack import Stack

from kit.channels import open_channel

LISTS = [
    "/api/v1/library/saves",
    "/api/v1/playlists",
    "/api/v1/tracks",
    "/api/v1/albums",
    "/api/v1/artists",
]
HOSTILE_IDS = ["..%2F..%2Fetc%2Fpasswd", "x" * 5000, "%00", "0" * 32, "ABCDEF" * 6]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str]]:
    emulator = make_emulator()
    stack = Stack.start(emulator, tmp_path_factory.mktemp("stack"))
    token = stack.login()
    yield stack, token
    stack.stop()
    emulator.stop()


@pytest.fixture(scope="module")
def saved(shared: tuple[Stack, str]) -> dict[str, Any]:
    stack, token = shared
    headers = {"Authorization": f"Bearer {token}"}
    start = requests.post(f"{stack.url}/api/v1/library/saves", headers=headers, timeout=10)
    save_id = start.json()["id"]
    for _ in range(600):
        save: dict[str, Any] = requests.get(
            f"{stack.url}/api/v1/library/saves/{save_id}", headers=headers, timeout=10
        ).json()
        if save["status"] not in ("queued", "running"):
            return save
        time.sleep(0.05)
    raise AssertionError("the save did not end")


def _call(shared: tuple[Stack, str], method: str, path: str, **kwargs: Any) -> requests.Response:
    stack, token = shared
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return requests.request(method, f"{stack.url}{path}", headers=headers, timeout=30, **kwargs)


def _assert_error(answer: requests.Response, status: int, code: str) -> None:
    assert answer.status_code == status, (answer.request.url, answer.text)
    body = answer.json()
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert "Traceback" not in answer.text


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "offset=-1", "limit=abc", "offset=abc", "limit=1.5", "offset=9" * 12],
)
def test_paging_out_of_bounds_is_invalid_request(
    shared: tuple[Stack, str], saved: dict[str, Any], path: str, query: str
) -> None:
    answer = _call(shared, "GET", f"{path}?{query}")
    _assert_error(answer, 422, "invalid_request")
    assert query.split("=")[0] in answer.json()["error"]["message"]


@pytest.mark.parametrize("bad_id", HOSTILE_IDS)
def test_unknown_and_hostile_ids_are_not_found(
    shared: tuple[Stack, str], saved: dict[str, Any], bad_id: str
) -> None:
    for path in (
        f"/api/v1/library/saves/{bad_id}",
        f"/api/v1/library/saves/{bad_id}/events",
        f"/api/v1/playlists/{bad_id}",
        f"/api/v1/playlists/{bad_id}/tracks",
        f"/api/v1/tracks?save={bad_id}",
        f"/api/v1/playlists?save={bad_id}",
        f"/api/v1/library/diff?from={bad_id}",
        f"/api/v1/library/diff?to={bad_id}",
    ):
        _assert_error(_call(shared, "GET", path), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kinds": ["podcasts"]}, "kinds"),
        ({"kinds": "tracks"}, "kinds"),
        ({"kinds": []}, "kinds"),
        ({"kinds": [1]}, "kinds"),
        ({"full": "yes"}, "full"),
        ({"full": 1}, "full"),
        ({"kind": ["tracks"]}, "kind"),
    ],
)
def test_a_malformed_save_request_names_the_field(
    shared: tuple[Stack, str], saved: dict[str, Any], body: Any, field: str
) -> None:
    answer = _call(shared, "POST", "/api/v1/library/saves", json=body)
    _assert_error(answer, 422, "invalid_request")
    assert field in answer.json()["error"]["message"]


def test_a_body_that_is_not_json_is_refused(
    shared: tuple[Stack, str], saved: dict[str, Any]
) -> None:
    answer = _call(
        shared,
        "POST",
        "/api/v1/library/saves",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    _assert_error(answer, 400, "bad_request")


def test_an_oversized_body_is_refused_with_413(
    shared: tuple[Stack, str], saved: dict[str, Any]
) -> None:
    answer = _call(
        shared,
        "POST",
        "/api/v1/library/saves",
        data=b"[" + b"0," * 1_000_000 + b"0]",
        headers={"Content-Type": "application/json"},
    )
    _assert_error(answer, 413, "payload_too_large")


def test_library_routes_need_a_token(shared: tuple[Stack, str]) -> None:
    stack, _ = shared
    for path in LISTS + ["/api/v1/library/diff", f"/api/v1/library/saves/{'0' * 32}"]:
        answer = requests.get(f"{stack.url}{path}", timeout=10)
        _assert_error(answer, 401, "invalid_token")
    answer = requests.post(f"{stack.url}/api/v1/library/saves", timeout=10)
    _assert_error(answer, 401, "invalid_token")


def test_a_save_that_lacks_a_kind_answers_not_found_for_it(
    shared: tuple[Stack, str], saved: dict[str, Any]
) -> None:
    stack, token = shared
    headers = {"Authorization": f"Bearer {token}"}
    only = requests.post(
        f"{stack.url}/api/v1/library/saves",
        json={"kinds": ["artists"]},
        headers=headers,
        timeout=10,
    ).json()
    while requests.get(
        f"{stack.url}/api/v1/library/saves/{only['id']}", headers=headers, timeout=10
    ).json()["status"] in ("queued", "running"):
        time.sleep(0.05)
    _assert_error(_call(shared, "GET", f"/api/v1/tracks?save={only['id']}"), 404, "not_found")
    assert _call(shared, "GET", f"/api/v1/artists?save={only['id']}").status_code == 200


def test_reads_before_any_save_are_empty_pages(shared: tuple[Stack, str]) -> None:
    stack, _ = shared
    other = stack.login("nobody-saved-yet")
    for path in LISTS[1:]:
        answer = requests.get(
            f"{stack.url}{path}", headers={"Authorization": f"Bearer {other}"}, timeout=10
        )
        assert answer.status_code == 200
        assert answer.json() == {
            "items": [],
            "total": 0,
            "limit": 50,
            "offset": 0,
            "next": None,
            "previous": None,
        }


@pytest.mark.parametrize(
    ("user_id", "save_id", "concurrency", "code"),
    [
        ("u1", "s1", 0, "INVALID_ARGUMENT"),
        ("u1", "s1", -3, "INVALID_ARGUMENT"),
        ("u1", "", 4, "INVALID_ARGUMENT"),
        ("", "s1", 4, "INVALID_ARGUMENT"),
        ("u1", "no-such-save", 4, "NOT_FOUND"),
    ],
)
def test_an_entity_service_refuses_a_bad_share_change(
    shared: tuple[Stack, str], user_id: str, save_id: str, concurrency: int, code: str
) -> None:
    """SetConcurrency, the library's internal call: clear gRPC codes, never INTERNAL."""
    stack, _ = shared
    channel = open_channel(stack.entities["track"].address, stack.internal_token, 5)
    try:
        stub = collection_pb2_grpc.CollectionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.SetConcurrency(
                collection_pb2.SetConcurrencyRequest(
                    user_id=user_id, save_id=save_id, concurrency=concurrency
                )
            )
        assert refused.value.code().name == code
    finally:
        channel.close()
