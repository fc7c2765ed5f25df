"""Channels to other Tapedeck services: built once per process from settings, carrying the
caller's internal credential and a default deadline, spreading load over every address a name
has, over TLS when the settings give it (kit.tls).

A credential is a `Credential` (a caller's name and the credential derived for it), or the
root internal token itself as a plain string (tests, and tools holding the root)."""

from __future__ import annotations

import json
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import grpc

from kit.credentials import CALLER_KEY, TOKEN_KEY, Credential
from kit.tls import GrpcTls

# round_robin: HTTP/2 would otherwise pin all calls to one replica. Retries cover UNAVAILABLE
# from a server that could not be reached; a Tapedeck service answering UNAVAILABLE itself
# sends a push-back that forbids the retry (kit.status.NO_RETRY), so nothing runs twice.
SERVICE_CONFIG = json.dumps(
    {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [
            {
                "name": [{}],
                "retryPolicy": {
                    "maxAttempts": 3,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "0.5s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ],
    }
)

CHANNEL_OPTIONS = [
    ("grpc.service_config", SERVICE_CONFIG),
    ("grpc.enable_retries", 1),
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    # A restarted service is found again within about a second, not gRPC's default 2 minutes.
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
    # Each channel its own connections: gRPC otherwise shares them between channels to the
    # same address, so a new channel to a port a stopped server used (a restarted service, or
    # the next test's server on a reused port) inherited that connection's "connection
    # refused" and its backoff, and its first calls failed at once.
    ("grpc.use_local_subchannel_pool", 1),
]


def target(address: str) -> str:
    """`host:port` becomes a dns:/// target so every address of a headless Service is used."""
    if ":///" in address or address.startswith(("ipv4:", "ipv6:", "unix:")):
        return address
    return f"dns:///{address}"


def _pairs(credential: Credential | str) -> list[tuple[str, str]]:
    if isinstance(credential, Credential):
        return [(CALLER_KEY, credential.caller), (TOKEN_KEY, credential.token)]
    return [(TOKEN_KEY, credential)]


def _metadata(existing: Any, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # Whatever a call set under these keys is dropped: the channel's own come first and win.
    mine = {key for key, _ in pairs}
    return [*pairs, *((k, v) for k, v in existing or () if k not in mine)]


class _Details(
    namedtuple(
        "_Details",
        ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression"),
    ),
    grpc.ClientCallDetails,  # type: ignore[misc]
):
    pass


class _Credential(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
):
    def __init__(self, credential: Credential | str, timeout: float) -> None:
        self._pairs = _pairs(credential)
        self._timeout = timeout

    def _details(self, d: Any) -> _Details:
        return _Details(
            d.method,
            d.timeout if d.timeout is not None else self._timeout,
            _metadata(d.metadata, self._pairs),
            d.credentials,
            getattr(d, "wait_for_ready", None),
            getattr(d, "compression", None),
        )

    def intercept_unary_unary(self, continuation: Callable[..., Any], d: Any, request: Any) -> Any:
        return continuation(self._details(d), request)

    def intercept_unary_stream(self, continuation: Callable[..., Any], d: Any, request: Any) -> Any:
        return continuation(self._details(d), request)


def open_channel(
    address: str, credential: Credential | str, timeout: float, *, tls: GrpcTls | None = None
) -> grpc.Channel:
    """A blocking channel (for services, which use threads)."""
    # A server stream is read on the reading thread's own completion queue, not the channel's
    # shared one: with the shared one, a stream whose server went away was seen to wait
    # forever now and then (its socket left in CLOSE-WAIT, cancel() no help) when grpc.aio
    # ran in the same process, as the gateway does in the tests' stack. A stream does not
    # keep its channel alive this way: keep the channel while reading.
    # ("SingleThreadedUnaryStream": grpc.experimental.ChannelOptions, which the stubs lack.)
    options = [*CHANNEL_OPTIONS, ("SingleThreadedUnaryStream", 1)]
    if tls is None:
        channel = grpc.insecure_channel(target(address), options=options)
    else:
        channel = grpc.secure_channel(target(address), tls.channel_credentials(), options=options)
    return grpc.intercept_channel(channel, _Credential(credential, timeout))


class _AioCredential:
    def __init__(self, credential: Credential | str, timeout: float) -> None:
        self._pairs = _pairs(credential)
        self._timeout = timeout

    def _details(self, d: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
        return grpc.aio.ClientCallDetails(
            method=d.method,
            timeout=d.timeout if d.timeout is not None else self._timeout,
            metadata=grpc.aio.Metadata(*_metadata(d.metadata, self._pairs)),
            credentials=d.credentials,
            wait_for_ready=d.wait_for_ready,
        )


# One class per call type: grpc.aio files an interceptor under the first call type it
# implements only, so one class implementing both would never see streaming calls.
class _AioUnaryCredential(_AioCredential, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(
        self, continuation: Callable[..., Any], d: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return await continuation(self._details(d), request)


class _AioStreamCredential(_AioCredential, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(
        self, continuation: Callable[..., Any], d: grpc.aio.ClientCallDetails, request: Any
    ) -> Any:
        return await continuation(self._details(d), request)


def open_aio_channel(
    address: str, credential: Credential | str, timeout: float, *, tls: GrpcTls | None = None
) -> grpc.aio.Channel:
    """An asyncio channel (for the gateway). Belongs to the event loop it is made on."""
    interceptors: Any = [
        _AioUnaryCredential(credential, timeout),
        _AioStreamCredential(credential, timeout),
    ]
    if tls is None:
        return grpc.aio.insecure_channel(
            target(address), options=CHANNEL_OPTIONS, interceptors=interceptors
        )
    return grpc.aio.secure_channel(
        target(address),
        tls.channel_credentials(),
        options=CHANNEL_OPTIONS,
        interceptors=interceptors,
    )
