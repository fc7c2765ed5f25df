"""A small closed-loop HTTP load generator: N concurrent clients for a fixed time."""

from __future__ import annotations

import asyncio
import importlib.util
import statistics
import sys
import time
from dataclasses import dataclass

import httpx

# httpcore imports sniffio on every request: a None entry fails it at once, not after a
# search of sys.path (bench/README.md).
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Result:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


async def _run(url: str, headers: dict[str, str], concurrency: int, seconds: float) -> Result:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        stop_at = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < stop_at:
                began = time.perf_counter()
                answer = await client.get(url, headers=headers)
                latencies.append(time.perf_counter() - began)
                if answer.status_code != 200:
                    errors += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    ordered = sorted(latencies)
    return Result(
        requests=len(ordered),
        errors=errors,
        seconds=elapsed,
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[int(len(ordered) * 0.99) - 1] * 1000,
    )


def run(url: str, headers: dict[str, str], concurrency: int, seconds: float) -> Result:
    return asyncio.run(_run(url, headers, concurrency, seconds))
