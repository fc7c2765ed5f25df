"""`python -m kit.probe HOST:PORT`: exit 0 when the gRPC server there reports SERVING.

The health check of containers that have no gRPC probe of their own (Docker Compose);
Kubernetes asks the same standard health service with its built-in `grpc` probe. It sends
no credential: the health service is open to any caller (kit.server)."""

from __future__ import annotations

import argparse
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def serving(address: str, service: str = "", timeout_s: float = 3.0) -> bool:
    """Whether `service` ("" is the whole server) at `address` answers SERVING in time."""
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            answer = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout_s)
        except grpc.RpcError:
            return False
    return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.probe", description=__doc__)
    parser.add_argument("address", help="host:port of a Tapedeck gRPC service")
    parser.add_argument("--service", default="", help="one service's full name; '' the server")
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds")
    args = parser.parse_args(argv)
    return 0 if serving(args.address, args.service, args.timeout) else 1


if __name__ == "__main__":
    sys.exit(main())
