"""Server interceptors: the internal credential check (who calls, and whether it may call
that method) and the one place where errors become gRPC statuses."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Collection, Iterator, Mapping
from enum import Enum
from typing import Any

import grpc

from kit.credentials import CALLER_KEY, MIN_LENGTH, TOKEN_KEY, derive
from kit.errors import TapedeckError
from kit.status import status_of, trailers_of

log = logging.getLogger(__name__)

INTERNAL_TOKEN_KEY = TOKEN_KEY

# Probes and tooling must reach these without the internal credential.
OPEN_SERVICES = frozenset(
    {
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "grpc.reflection.v1.ServerReflection",
    }
)


class Verdict(Enum):
    ALLOWED = "allowed"
    # No credential, an empty one, or one that is not the caller's: UNAUTHENTICATED.
    UNKNOWN = "unknown"
    # A genuine caller that this method is not for: PERMISSION_DENIED.
    FORBIDDEN = "forbidden"


class ServiceInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    """Refuses calls without a genuine internal credential, or from a caller a method is not
    for, and maps errors to statuses.

    A caller names itself (x-tapedeck-caller) and presents the credential derived for that
    name from the root token (kit.credentials). The root token itself, with no name, is
    also taken: whoever holds it can derive any credential anyway. `callers` restricts
    methods (full path, /package.Service/Method) to named callers."""

    def __init__(
        self, internal_token: str, callers: Mapping[str, Collection[str]] | None = None
    ) -> None:
        if len(internal_token) < MIN_LENGTH:
            raise ValueError(f"the internal token must be at least {MIN_LENGTH} characters")
        self._root = internal_token
        self._callers = {method: frozenset(names) for method, names in (callers or {}).items()}

    def intercept_service(
        self, continuation: Callable[[Any], Any], details: grpc.HandlerCallDetails
    ) -> Any:
        handler = continuation(details)
        if handler is None:
            return None
        service = details.method.split("/")[1] if details.method.count("/") >= 2 else ""
        if service in OPEN_SERVICES:
            return handler
        return _wrap(handler, self.verdict(details.method, details.invocation_metadata))

    def verdict(self, method: str, metadata: Any) -> Verdict:
        values = _values(metadata)
        caller, token = values.get(CALLER_KEY, ""), values.get(TOKEN_KEY, "")
        if not token:
            return Verdict.UNKNOWN
        expected = derive(self._root, caller) if caller else self._root
        if not hmac.compare_digest(token.encode(), expected.encode()):
            return Verdict.UNKNOWN
        allowed = self._callers.get(method)
        if caller and allowed is not None and caller not in allowed:
            log.warning("internal call refused", extra={"caller": caller, "method": method})
            return Verdict.FORBIDDEN
        return Verdict.ALLOWED


def _values(metadata: Any) -> dict[str, str]:
    """The first value of each key; a repeated key cannot override the first."""
    found: dict[str, str] = {}
    for key, value in metadata or ():
        text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
        found.setdefault(key, text)
    return found


def _fail(context: grpc.ServicerContext, exc: BaseException) -> None:
    if isinstance(exc, TapedeckError):
        context.set_trailing_metadata(trailers_of(exc))
        context.abort(status_of(exc), exc.message)
    log.exception("unexpected error", exc_info=exc)
    context.abort(grpc.StatusCode.INTERNAL, "internal error")


def _refuse(context: grpc.ServicerContext, verdict: Verdict) -> None:
    if verdict is Verdict.FORBIDDEN:
        context.abort(grpc.StatusCode.PERMISSION_DENIED, "this caller may not call this method")
    context.abort(grpc.StatusCode.UNAUTHENTICATED, "the internal service credential is required")


def _unary(behavior: Callable[..., Any], verdict: Verdict) -> Callable[..., Any]:
    def call(request: Any, context: grpc.ServicerContext) -> Any:
        if verdict is not Verdict.ALLOWED:
            _refuse(context, verdict)
        try:
            return behavior(request, context)
        except Exception as exc:  # noqa: BLE001 - mapped, or logged once as INTERNAL
            _fail(context, exc)

    return call


def _stream(behavior: Callable[..., Iterator[Any]], verdict: Verdict) -> Callable[..., Any]:
    def call(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        if verdict is not Verdict.ALLOWED:
            _refuse(context, verdict)
        try:
            yield from behavior(request, context)
        except Exception as exc:  # noqa: BLE001 - mapped, or logged once as INTERNAL
            _fail(context, exc)

    return call


def _wrap(handler: grpc.RpcMethodHandler, allowed: Verdict) -> grpc.RpcMethodHandler:
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
