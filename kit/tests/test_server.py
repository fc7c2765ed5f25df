"""The kit's server bootstrap: typed errors become statuses in one place, the internal
credential is demanded, health and reflection are wired, stopping is graceful."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from tapedeck.collection.v1 import collection_pb2, collection_pb2_grpc, messages_pb2

from kit import errors
from kit.channels import open_channel
from kit.server import Registration, Served, create_server
from kit.status import error_from_rpc

TOKEN = "kit-test-token-at-least-32-characters-long"


class _Servicer(collection_pb2_grpc.CollectionServiceServicer):
    """A servicer that fails the way it is told to (item_id names the failure)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls = 0

    def GetItem(self, request: collection_pb2.GetItemRequest, context: Any) -> Any:
        self.calls += 1
        if request.item_id == "unavailable":
            raise errors.Unavailable("Spotify's accounts service is unreachable")
        if request.item_id == "missing":
            raise errors.NotFound("no such item")
        if request.item_id == "lost":
            raise errors.SpotifyAuthorizationLost("log in again")
        if request.item_id == "limited":
            raise errors.RateLimited("slow down", retry_after_s=7)
        if request.item_id == "bug":
            raise ValueError("secret internals /etc/passwd")
        if request.item_id == "slow":
            self.release.wait(5)
        return collection_pb2.GetItemResponse(item_json='{"ok": true}')

    def Sync(self, request: collection_pb2.SyncRequest, context: Any) -> Iterator[Any]:
        yield collection_pb2.SyncResponse(progress=messages_pb2.Progress(done=1))
        raise errors.Unavailable("spotify is down")


@pytest.fixture
def served() -> Iterator[tuple[Served, _Servicer]]:
    servicer = _Servicer()
    served = create_server(
        "127.0.0.1:0",
        [
            Registration(
                collection_pb2.DESCRIPTOR.services_by_name["CollectionService"],
                collection_pb2_grpc.add_CollectionServiceServicer_to_server,
                servicer,
            )
        ],
        internal_token=TOKEN,
    )
    served.start()
    yield served, servicer
    servicer.release.set()
    served.stop(0)


def _stub(served: Served, token: str = TOKEN) -> collection_pb2_grpc.CollectionServiceStub:
    return collection_pb2_grpc.CollectionServiceStub(
        open_channel(f"127.0.0.1:{served.port}", token, timeout=5)
    )


def _fail(stub: collection_pb2_grpc.CollectionServiceStub, item: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        stub.GetItem(collection_pb2.GetItemRequest(item_id=item))
    return caught.value


@pytest.mark.parametrize(
    ("item", "status", "typed"),
    [
        ("missing", grpc.StatusCode.NOT_FOUND, errors.NotFound),
        ("lost", grpc.StatusCode.UNAUTHENTICATED, errors.SpotifyAuthorizationLost),
        ("limited", grpc.StatusCode.RESOURCE_EXHAUSTED, errors.RateLimited),
    ],
)
def test_typed_errors_cross_the_wire_and_come_back_typed(
    served: tuple[Served, _Servicer], item: str, status: grpc.StatusCode, typed: type
) -> None:
    failure = _fail(_stub(served[0]), item)
    assert failure.code() == status
    assert isinstance(error_from_rpc(failure), typed)


def test_retry_after_survives_the_trip(served: tuple[Served, _Servicer]) -> None:
    error = error_from_rpc(_fail(_stub(served[0]), "limited"))
    assert isinstance(error, errors.RateLimited) and error.retry_after_s == 7


def test_a_service_saying_unavailable_is_not_called_again_by_the_channels_retries(
    served: tuple[Served, _Servicer],
) -> None:
    # The channels retry UNAVAILABLE for calls that never reached a server; a service that
    # answered it itself (Spotify down, say) must not run again: a login would spend its
    # state on the first try and answer the second "unknown state".
    server, servicer = served
    caught = _fail(_stub(server), "unavailable")
    assert caught.code() == grpc.StatusCode.UNAVAILABLE
    assert isinstance(error_from_rpc(caught), errors.Unavailable)
    assert servicer.calls == 1


def test_an_unexpected_error_is_internal_and_tells_nothing(
    served: tuple[Served, _Servicer], caplog: pytest.LogCaptureFixture
) -> None:
    failure = _fail(_stub(served[0]), "bug")
    assert failure.code() == grpc.StatusCode.INTERNAL
    assert "passwd" not in (failure.details() or "")
    assert sum("unexpected error" in r.message for r in caplog.records) == 1


def test_an_error_in_a_stream_ends_it_with_the_mapped_status(
    served: tuple[Served, _Servicer],
) -> None:
    stub = _stub(served[0])  # kept: a stream does not keep its channel alive
    events = stub.Sync(collection_pb2.SyncRequest())
    assert next(events).progress.done == 1
    with pytest.raises(grpc.RpcError) as caught:
        next(events)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


def test_calls_without_the_internal_credential_are_refused(
    served: tuple[Served, _Servicer],
) -> None:
    assert _fail(_stub(served[0], token="wrong"), "x").code() == grpc.StatusCode.UNAUTHENTICATED
    with grpc.insecure_channel(f"127.0.0.1:{served[0].port}") as bare:
        stub = collection_pb2_grpc.CollectionServiceStub(bare)
        with pytest.raises(grpc.RpcError) as caught:
            stub.GetItem(collection_pb2.GetItemRequest(item_id="x"), timeout=5)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_health_and_reflection_name_the_service_from_its_descriptor(
    served: tuple[Served, _Servicer],
) -> None:
    with grpc.insecure_channel(f"127.0.0.1:{served[0].port}") as bare:
        health = health_pb2_grpc.HealthStub(bare)
        answer = health.Check(
            health_pb2.HealthCheckRequest(service="tapedeck.collection.v1.CollectionService"),
            timeout=5,
        )
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
        reflect = reflection_pb2_grpc.ServerReflectionStub(bare)
        replies = reflect.ServerReflectionInfo(
            iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
        )
        names = {s.name for s in next(replies).list_services_response.service}
    assert "tapedeck.collection.v1.CollectionService" in names
    assert "grpc.health.v1.Health" in names


def test_stopping_lets_a_running_call_finish(served: tuple[Served, _Servicer]) -> None:
    server, servicer = served
    stub = _stub(server)
    result: dict[str, str] = {}
    call = threading.Thread(
        target=lambda: result.update(
            json=stub.GetItem(collection_pb2.GetItemRequest(item_id="slow")).item_json
        )
    )
    call.start()
    time.sleep(0.2)
    stopper = threading.Thread(target=server.stop, args=(3,))
    stopper.start()
    time.sleep(0.2)
    servicer.release.set()
    call.join(5)
    stopper.join(5)
    assert result.get("json") == '{"ok": true}'
