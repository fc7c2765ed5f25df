"""Internal credentials: each caller presents its name and the credential derived for it from
the root token; a server refuses an absent, empty or borrowed credential (UNAUTHENTICATED)
and a genuine caller that a method is not for (PERMISSION_DENIED)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from tapedeck.collection.v1 import collection_pb2, collection_pb2_grpc

from kit.channels import open_channel
from kit.credentials import CALLER_KEY, TOKEN_KEY, Credential, credential_for, derive
from kit.server import Registration, Served, create_server, method_path

ROOT = "a-root-internal-token-of-at-least-32-characters"
SERVICE = collection_pb2.DESCRIPTOR.services_by_name["CollectionService"]
# GetItem stands for a method such as GetSpotifyToken: for the named callers only.
CALLERS = {method_path(SERVICE, "GetItem"): ("playlist", "track")}


class _Servicer(collection_pb2_grpc.CollectionServiceServicer):
    def GetItem(self, request: collection_pb2.GetItemRequest, context: Any) -> Any:
        return collection_pb2.GetItemResponse(item_json='{"ok": true}')

    def ListItems(self, request: collection_pb2.ListItemsRequest, context: Any) -> Any:
        return collection_pb2.ListItemsResponse()


@pytest.fixture
def served() -> Iterator[Served]:
    served = create_server(
        "127.0.0.1:0",
        [
            Registration(
                SERVICE, collection_pb2_grpc.add_CollectionServiceServicer_to_server, _Servicer()
            )
        ],
        internal_token=ROOT,
        callers=CALLERS,
    )
    served.start()
    yield served
    served.stop(0)


def _get_item(served: Served, credential: Credential | str) -> grpc.StatusCode:
    with open_channel(f"127.0.0.1:{served.port}", credential, timeout=5) as channel:
        stub = collection_pb2_grpc.CollectionServiceStub(channel)
        try:
            stub.GetItem(collection_pb2.GetItemRequest(item_id="x"))
        except grpc.RpcError as failure:
            return failure.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def _raw(served: Served, method: str, metadata: list[tuple[str, str]]) -> grpc.StatusCode:
    """A call with exactly this metadata, through no Tapedeck channel."""
    with grpc.insecure_channel(f"127.0.0.1:{served.port}") as channel:
        stub = collection_pb2_grpc.CollectionServiceStub(channel)
        call = stub.GetItem if method == "GetItem" else stub.ListItems
        request: Any = (
            collection_pb2.GetItemRequest()
            if method == "GetItem"
            else collection_pb2.ListItemsRequest()
        )
        try:
            call(request, metadata=metadata, timeout=5)
        except grpc.RpcError as failure:
            return failure.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def test_a_caller_a_method_is_for_is_served_and_another_genuine_caller_is_denied(
    served: Served,
) -> None:
    assert _get_item(served, credential_for(ROOT, "playlist")) == grpc.StatusCode.OK
    assert _get_item(served, credential_for(ROOT, "track")) == grpc.StatusCode.OK
    assert _get_item(served, credential_for(ROOT, "gateway")) == grpc.StatusCode.PERMISSION_DENIED


def test_a_method_without_a_restriction_serves_every_genuine_caller(served: Served) -> None:
    gateway = credential_for(ROOT, "gateway")
    metadata = [(CALLER_KEY, gateway.caller), (TOKEN_KEY, gateway.token)]
    assert _raw(served, "ListItems", metadata) == grpc.StatusCode.OK


def test_a_credential_presented_under_another_name_is_unauthenticated(served: Served) -> None:
    gateway = derive(ROOT, "gateway")
    for name in ("playlist", "made-up-caller", "gateway "):
        assert _get_item(served, Credential(name, gateway)) == grpc.StatusCode.UNAUTHENTICATED


def test_a_credential_derived_from_another_root_is_unauthenticated(served: Served) -> None:
    other = credential_for("another-root-token-of-at-least-32-characters", "playlist")
    assert _get_item(served, other) == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "metadata",
    [
        [],
        [(TOKEN_KEY, "")],
        [(CALLER_KEY, ""), (TOKEN_KEY, "")],
        [(CALLER_KEY, "playlist"), (TOKEN_KEY, "")],
        [(CALLER_KEY, "playlist")],
        [(TOKEN_KEY, ROOT[:-1])],
    ],
    ids=[
        "absent",
        "empty",
        "empty-caller-and-token",
        "caller-empty-token",
        "caller-only",
        "root-cut",
    ],
)
def test_an_absent_or_empty_credential_is_always_unauthenticated(
    served: Served, metadata: list[tuple[str, str]]
) -> None:
    assert _raw(served, "ListItems", metadata) == grpc.StatusCode.UNAUTHENTICATED
    assert _raw(served, "GetItem", metadata) == grpc.StatusCode.UNAUTHENTICATED


def test_the_root_token_itself_may_call_every_method(served: Served) -> None:
    # Whoever holds the root can derive any caller's credential anyway.
    assert _get_item(served, ROOT) == grpc.StatusCode.OK


@pytest.mark.parametrize("token", ["", "short", "x" * 31])
def test_a_server_is_never_built_with_an_empty_or_short_token(token: str) -> None:
    with pytest.raises(ValueError):
        create_server("127.0.0.1:0", [], internal_token=token)


def test_python_m_kit_credentials_prints_a_callers_credential(tmp_path: Any) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    env |= {"TAPEDECK_DATA_DIR": str(tmp_path), "TAPEDECK_INTERNAL_TOKEN": ROOT}
    done = subprocess.run(
        [sys.executable, "-m", "kit.credentials", "gateway"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == derive(ROOT, "gateway")
    assert ROOT not in done.stdout
