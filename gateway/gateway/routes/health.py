"""Liveness, readiness (every backend's gRPC health) and Prometheus metrics."""

from __future__ import annotations

import asyncio

import grpc
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from grpc_health.v1 import health_pb2
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.bodies import JsonBodyRoute
from gateway.deps import BackendsDep
from gateway.openapi import error_responses, not_ready
from gateway.schemas import Health, Ready

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
    responses=error_responses(500, beside="text/plain"),
)
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
