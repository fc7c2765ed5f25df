"""Optional TLS for internal gRPC (TAPEDECK_GRPC_TLS_CERT/_KEY/_CA), with certificates made
here: a CA, a server certificate for 127.0.0.1 and a client certificate."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from tapedeck.collection.v1 import collection_pb2, collection_pb2_grpc
from teststack.certificates import Pki, issue, make_pki, new_key, pem, pem_key

from kit.channels import open_aio_channel, open_channel
from kit.server import Registration, Served, create_server
from kit.settings import TapedeckSettings
from kit.tls import GrpcTls, load_tls

ROOT = "a-root-internal-token-of-at-least-32-characters"
SERVICE = collection_pb2.DESCRIPTOR.services_by_name["CollectionService"]


@pytest.fixture(scope="module")
def pki() -> Pki:
    return make_pki()


class _Servicer(collection_pb2_grpc.CollectionServiceServicer):
    def GetItem(self, request: collection_pb2.GetItemRequest, context: Any) -> Any:
        return collection_pb2.GetItemResponse(item_json='{"ok": true}')


def _serve(tls: GrpcTls) -> Served:
    served = create_server(
        "127.0.0.1:0",
        [
            Registration(
                SERVICE, collection_pb2_grpc.add_CollectionServiceServicer_to_server, _Servicer()
            )
        ],
        internal_token=ROOT,
        tls=tls,
    )
    served.start()
    return served


@pytest.fixture
def mutual(pki: Pki) -> Iterator[Served]:
    served = _serve(GrpcTls(cert=pki.server.cert, key=pki.server.key, ca=pki.ca))
    yield served
    served.stop(0)


def _get_item(channel: grpc.Channel) -> grpc.StatusCode:
    try:
        collection_pb2_grpc.CollectionServiceStub(channel).GetItem(
            collection_pb2.GetItemRequest(item_id="x"), timeout=5
        )
    except grpc.RpcError as failure:
        return failure.code()  # type: ignore[no-any-return]
    return grpc.StatusCode.OK


def test_a_call_over_mutual_tls_is_served(mutual: Served, pki: Pki) -> None:
    client = GrpcTls(cert=pki.client.cert, key=pki.client.key, ca=pki.ca)
    with open_channel(f"127.0.0.1:{mutual.port}", ROOT, 5, tls=client) as channel:
        assert _get_item(channel) == grpc.StatusCode.OK


def test_a_plaintext_client_is_refused(mutual: Served) -> None:
    with open_channel(f"127.0.0.1:{mutual.port}", ROOT, 5) as channel:
        assert _get_item(channel) == grpc.StatusCode.UNAVAILABLE


def test_a_client_without_a_certificate_is_refused_under_mutual_tls(
    mutual: Served, pki: Pki
) -> None:
    credentials = grpc.ssl_channel_credentials(root_certificates=pki.ca)
    with grpc.secure_channel(f"127.0.0.1:{mutual.port}", credentials) as channel:
        assert _get_item(channel) == grpc.StatusCode.UNAVAILABLE


def test_a_client_with_a_certificate_of_another_ca_is_refused(mutual: Served, pki: Pki) -> None:
    stranger_key = new_key()
    stranger = issue("stranger", stranger_key, None, ca=True)
    client = GrpcTls(cert=pem(stranger), key=pem_key(stranger_key), ca=pki.ca)
    with open_channel(f"127.0.0.1:{mutual.port}", ROOT, 5, tls=client) as channel:
        assert _get_item(channel) == grpc.StatusCode.UNAVAILABLE


def test_health_answers_over_tls(mutual: Served, pki: Pki) -> None:
    client = GrpcTls(cert=pki.client.cert, key=pki.client.key, ca=pki.ca)
    with open_channel(f"127.0.0.1:{mutual.port}", ROOT, 5, tls=client) as channel:
        answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


def test_the_gateways_asyncio_channel_speaks_mutual_tls(mutual: Served, pki: Pki) -> None:
    client = GrpcTls(cert=pki.client.cert, key=pki.client.key, ca=pki.ca)

    async def call() -> str:
        channel = open_aio_channel(f"127.0.0.1:{mutual.port}", ROOT, 5, tls=client)
        try:
            stub = collection_pb2_grpc.CollectionServiceStub(channel)
            answer = await stub.GetItem(collection_pb2.GetItemRequest(item_id="x"))
            return str(answer.item_json)
        finally:
            await channel.close(grace=None)

    assert asyncio.run(call()) == '{"ok": true}'


def test_without_a_ca_the_server_asks_for_no_client_certificate(pki: Pki) -> None:
    served = _serve(GrpcTls(cert=pki.server.cert, key=pki.server.key))
    try:
        credentials = grpc.ssl_channel_credentials(root_certificates=pki.ca)
        with grpc.secure_channel(f"127.0.0.1:{served.port}", credentials) as channel:
            # Through TLS, but no internal credential: the server's own refusal.
            assert _get_item(channel) == grpc.StatusCode.UNAUTHENTICATED
    finally:
        served.stop(0)


def _write(path: Path, data: bytes, mode: int = 0o600) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


def _settings(tmp_path: Path, **values: Any) -> TapedeckSettings:
    return TapedeckSettings(_env_file=None, data_dir=tmp_path, **values)


def test_the_settings_files_are_read_once(pki: Pki, tmp_path: Path) -> None:
    cert = _write(tmp_path / "cert.pem", pki.server.cert, 0o644)
    key = _write(tmp_path / "key.pem", pki.server.key)
    ca = _write(tmp_path / "ca.pem", pki.ca, 0o644)
    tls = load_tls(_settings(tmp_path, grpc_tls_cert=cert, grpc_tls_key=key, grpc_tls_ca=ca))
    assert tls == GrpcTls(cert=pki.server.cert, key=pki.server.key, ca=pki.ca)
    assert load_tls(_settings(tmp_path)) is None


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"grpc_tls_cert"}, "TAPEDECK_GRPC_TLS_KEY"),
        ({"grpc_tls_key"}, "TAPEDECK_GRPC_TLS_CERT"),
        ({"grpc_tls_ca"}, "TAPEDECK_GRPC_TLS_CA"),
        ({"grpc_tls_cert", "grpc_tls_key", "missing_key"}, "TAPEDECK_GRPC_TLS_KEY"),
        ({"grpc_tls_cert", "grpc_tls_key", "shared_key"}, "TAPEDECK_GRPC_TLS_KEY"),
    ],
)
def test_an_incomplete_or_unsafe_tls_setting_stops_start_up_naming_it(
    pki: Pki, tmp_path: Path, given: set[str], named: str
) -> None:
    files = {
        "grpc_tls_cert": _write(tmp_path / "cert.pem", pki.server.cert),
        "grpc_tls_key": _write(
            tmp_path / "key.pem", pki.server.key, 0o640 if "shared_key" in given else 0o600
        ),
        "grpc_tls_ca": _write(tmp_path / "ca.pem", pki.ca),
    }
    if "missing_key" in given:
        files["grpc_tls_key"] = tmp_path / "nowhere.pem"
    values = {k: v for k, v in files.items() if k in given}
    with pytest.raises(SystemExit) as stopped:
        load_tls(_settings(tmp_path, **values))
    line = str(stopped.value)
    assert line.startswith(f"tapedeck: invalid {named}:") and "\n" not in line
    assert "PRIVATE KEY" not in line
