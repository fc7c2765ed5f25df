"""Liveness, readiness (every backend's gRPC health) and Prometheus metrics."""

from __future__ import annotations

import asyncio

import grpc
from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from grpc_health.v1 import health_pb2
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.bodies import JsonBodyRoute
from gateway.deps import BackendsDep

router = APIRouter(tags=["health"], route_class=JsonBodyRoute)

PROBE_TIMEOUT_S = 2.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
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


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
