"""Liveness, readiness (every backend's gRPC health) and Prometheus metrics, these for the
operator only: a token, or a loopback client (docs/operations.md "Metrics")."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress

import grpc
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from grpc_health.v1 import health_pb2
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.bodies import JsonBodyRoute
from gateway.deps import BackendsDep
from gateway.openapi import error_responses, not_ready
from gateway.schemas import Health, Ready
from gateway.settings import GatewaySettings
from kit import errors

router = APIRouter(tags=["health"], route_class=JsonBodyRoute)

PROBE_TIMEOUT_S = 2.0


@router.get("/healthz", response_model=Health, responses=error_responses(500))
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=Ready, responses={**not_ready(), **error_responses(500)})
async def readyz(backends: BackendsDep) -> JSONResponse:
    async def probe(stub: object) -> str:
        try:
            answer = await stub.Check(  # type: ignore[attr-defined]
                health_pb2.HealthCheckRequest(service=""), timeout=PROBE_TIMEOUT_S
            )
        except grpc.RpcError:
            return "UNREACHABLE"
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status))

    names = list(backends.health)
    states = await asyncio.gather(*(probe(backends.health[n]) for n in names))
    services = dict(zip(names, states, strict=True))
    down = sorted(n for n, s in services.items() if s != "SERVING")
    if down:
        return JSONResponse(
            {
                "error": {
                    "status": 503,
                    "code": "service_unavailable",
                    "message": f"not serving: {', '.join(down)}",
                },
                "services": services,
            },
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ok", "services": services})


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    response_description="Prometheus text format",
    responses=error_responses(401, 403, 500, beside="text/plain"),
)
async def metrics(request: Request) -> Response:
    settings: GatewaySettings = request.app.state.settings
    if settings.metrics_token is not None:
        _check_metrics_token(request, settings.metrics_token.get_secret_value())
    elif not _is_loopback(request.client.host if request.client else None):
        raise errors.PermissionDenied(
            "/metrics answers loopback clients only, unless TAPEDECK_METRICS_TOKEN is set"
        )
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def _check_metrics_token(request: Request, expected: str) -> None:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    # Constant time: how much of a guess matched must not show in how long the answer took.
    matches = hmac.compare_digest(given.strip().encode(), expected.encode())
    if scheme.lower() != "bearer" or not matches:
        raise errors.Unauthenticated("/metrics needs Authorization: Bearer <the metrics token>")


def _is_loopback(host: str | None) -> bool:
    """127.0.0.0/8, ::1 and ::ffff:127.x; anything else, a Unix socket's peer included, is not."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
