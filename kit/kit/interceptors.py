"""Server interceptors: the internal credential check and the one place where errors become
gRPC statuses."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from kit.errors import TapedeckError
from kit.status import status_of, trailers_of

log = logging.getLogger(__name__)

INTERNAL_TOKEN_KEY = "x-tapedeck-internal-token"

# Probes and tooling must reach these without the internal credential.
OPEN_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)


class ServiceInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    """Refuses calls without the internal credential, and maps errors to statuses."""

    def __init__(self, internal_token: str) -> None:
        self._token = internal_token.encode()

    def intercept_service(
        self, continuation: Callable[[Any], Any], details: grpc.HandlerCallDetails
    ) -> Any:
        handler = continuation(details)
        if handler is None:
            return None
        service = details.method.split("/")[1] if details.method.count("/") >= 2 else ""
        if service in OPEN_SERVICES:
            return handler
        allowed = self._authorized(details.invocation_metadata)
        return _wrap(handler, allowed)

    def _authorized(self, metadata: Any) -> bool:
        for key, value in metadata or ():
            if key == INTERNAL_TOKEN_KEY:
                given = value.encode() if isinstance(value, str) else value
                return hmac.compare_digest(given, self._token)
        return False


def _fail(context: grpc.ServicerContext, exc: BaseException) -> None:
    if isinstance(exc, TapedeckError):
        context.set_trailing_metadata(trailers_of(exc))
        context.abort(status_of(exc), exc.message)
    log.exception("unexpected error", exc_info=exc)
    context.abort(grpc.StatusCode.INTERNAL, "internal error")


def _refuse(context: grpc.ServicerContext) -> None:
    context.abort(grpc.StatusCode.UNAUTHENTICATED, "the internal service credential is required")


def _unary(behavior: Callable[..., Any], allowed: bool) -> Callable[..., Any]:
    def call(request: Any, context: grpc.ServicerContext) -> Any:
        if not allowed:
            _refuse(context)
        try:
            return behavior(request, context)
        except Exception as exc:  # noqa: BLE001 - mapped, or logged once as INTERNAL
            _fail(context, exc)

    return call


def _stream(behavior: Callable[..., Iterator[Any]], allowed: bool) -> Callable[..., Any]:
    def call(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        if not allowed:
            _refuse(context)
        try:
            yield from behavior(request, context)
        except Exception as exc:  # noqa: BLE001 - mapped, or logged once as INTERNAL
            _fail(context, exc)

    return call


def _wrap(handler: grpc.RpcMethodHandler, allowed: bool) -> grpc.RpcMethodHandler:
    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(_unary(handler.unary_unary, allowed), **kwargs)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            _stream(handler.unary_stream, allowed), **kwargs
        )
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(_unary(handler.stream_unary, allowed), **kwargs)
    stream_stream: Any = handler.stream_stream
    return grpc.stream_stream_rpc_method_handler(_stream(stream_stream, allowed), **kwargs)
