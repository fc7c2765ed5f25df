"""What every answer of the gateway tells a browser (no sniffing, no referrer, a
Content-Security-Policy that forbids framing, HSTS behind https), who may read /metrics, and
that /docs runs on the gateway's own files only. The real app, called in-process over ASGI
(no backend needed for these routes; the whole stack's answers are in
tests/library/test_edge_headers.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from teststack.gateway import gateway_settings

from gateway.app import create_app
from gateway.settings import GatewaySettings
from kit.settings import TapedeckSettings

METRICS_TOKEN = "m" * 16 + "-metrics-token-for-tests"
HSTS = "max-age=31536000; includeSubDomains"

# anyio's pytest plugin runs the async tests, on asyncio as the gateway does.
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _app(**settings: Any) -> FastAPI:
    return create_app(gateway_settings({}, **settings), "i" * 43)


def _client(app: FastAPI, peer: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with _client(_app()) as client:
        yield client


def assert_secured(answer: httpx.Response) -> None:
    """The headers every answer carries, whatever its status."""
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    policy = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy or "default-src 'none'" in policy


def assert_error(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["status"] == status
    assert answer.json()["error"]["code"] == code


async def test_successes_and_errors_alike_carry_the_security_headers(
    client: httpx.AsyncClient,
) -> None:
    healthz = await client.get("/healthz")
    assert healthz.status_code == 200
    missing = await client.get("/no/such/page")
    assert_error(missing, 404, "not_found")
    too_large = await client.post("/api/v1/library/saves", content=b"0" * (2 * 1024 * 1024 + 1))
    assert_error(too_large, 413, "payload_too_large")
    unauthenticated = await client.get("/api/v1/me")
    assert_error(unauthenticated, 401, "invalid_token")
    for answer in (healthz, missing, too_large, unauthenticated):
        assert_secured(answer)
        assert answer.headers["content-security-policy"].startswith("default-src 'self'")
        # Behind plain http, HSTS would be ignored at best: it is sent only under https.
        assert "strict-transport-security" not in answer.headers


async def test_an_answer_to_a_bug_carries_the_security_headers_too() -> None:
    app = _app()

    async def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/broken", broken)
    async with _client(app) as client:
        answer = await client.get("/broken")
    assert_error(answer, 500, "internal")
    assert_secured(answer)


async def test_hsts_is_sent_when_the_public_url_is_https() -> None:
    async with _client(_app(public_url="https://tapedeck.example")) as client:
        for path in ("/healthz", "/no/such/page", "/", "/docs"):
            answer = await client.get(path)
            assert answer.headers["strict-transport-security"] == HSTS, path
            assert_secured(answer)


async def test_the_start_page_keeps_its_stricter_policy(client: httpx.AsyncClient) -> None:
    answer = await client.get("/")
    assert answer.status_code == 200
    assert_secured(answer)
    policy = answer.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'")
    assert "script-src 'sha256-" in policy
    # One policy only: a second, looser one would not loosen it, but would confuse readers.
    assert len(answer.headers.get_list("content-security-policy")) == 1


async def test_metrics_without_a_token_set_answer_loopback_clients_only() -> None:
    app = _app()
    for peer in ("127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"):
        async with _client(app, peer) as client:
            answer = await client.get("/metrics")
            assert answer.status_code == 200, peer
            assert "tapedeck_http_requests_total" in answer.text
    for peer in ("10.1.2.3", "192.0.2.7", "2001:db8::1", "::ffff:10.1.2.3"):
        async with _client(app, peer) as client:
            answer = await client.get("/metrics")
            assert_error(answer, 403, "forbidden")
            assert_secured(answer)


async def test_metrics_with_a_token_set_answer_that_bearer_token_only() -> None:
    app = _app(metrics_token=METRICS_TOKEN)
    for peer in ("10.1.2.3", "127.0.0.1"):
        async with _client(app, peer) as client:
            for headers in (
                {},
                {"Authorization": "Bearer wrong"},
                {"Authorization": f"Bearer {METRICS_TOKEN[:-1]}"},
                {"Authorization": f"Basic {METRICS_TOKEN}"},
                {"Authorization": METRICS_TOKEN},
            ):
                answer = await client.get("/metrics", headers=headers)
                assert_error(answer, 401, "invalid_token")
                assert METRICS_TOKEN not in answer.text
            answer = await client.get(
                "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
            )
            assert answer.status_code == 200, peer
            assert answer.headers["content-type"].startswith("text/plain")


def test_a_short_metrics_token_stops_start_up() -> None:
    for token in ("", "too-short"):
        with pytest.raises(ValidationError):
            GatewaySettings.model_validate({"metrics_token": token})


_URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|(https?://[^\s"'<>)]+)""")


async def test_docs_load_nothing_from_outside_the_gateway(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert_secured(page)
    references = [a or b for a, b in _URL.findall(page.text)]
    assert references, "the page references its script and style"
    for reference in references:
        assert reference.startswith("/") and not reference.startswith("//"), reference
    for reference in references:
        asset = await client.get(reference)
        assert asset.status_code == 200, reference
        assert asset.content
        assert_secured(asset)
    policy = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    # Scripts from the gateway only: no inline script, no eval, no other host.
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert "http" not in policy
    # The spec the page reads is the gateway's own.
    assert (await client.get("/openapi.json")).status_code == 200


async def test_the_cdn_docs_pages_are_gone(client: httpx.AsyncClient) -> None:
    for path in ("/redoc", "/docs/oauth2-redirect", "/docs/index.html", "/docs/..%2Fcore.py"):
        assert_error(await client.get(path), 404, "not_found")


def _gateway_durations() -> list[str]:
    own = set(GatewaySettings.model_fields) - set(TapedeckSettings.model_fields)
    return sorted(name for name in own if name.endswith("_s"))


@pytest.mark.parametrize("name", _gateway_durations())
@pytest.mark.parametrize("value", [0, -1])
def test_a_gateway_duration_refuses_zero_and_negative_values(name: str, value: float) -> None:
    with pytest.raises(ValidationError):
        GatewaySettings.model_validate({name: value})
