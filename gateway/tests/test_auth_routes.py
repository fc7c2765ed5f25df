"""Logging in, staying logged in and being refused, through the gateway over HTTP, with the
real auth service behind it and the Spotify emulator in front of it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from teststack.auth import start_auth
from teststack.gateway import RunningGateway, gateway_settings
from teststack.login import follow_to_callback, login
from teststack.running import Running

from spotify_emulator import Emulator


@dataclass
class Stack:
    emulator: Emulator
    auth: Running
    gateway: RunningGateway
    data_dir: Path

    @property
    def url(self) -> str:
        return self.gateway.url

    def signing_key(self) -> Ed25519PrivateKey:
        pem = (self.data_dir / "keys" / "jwt-ed25519.pem").read_bytes()
        key = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return key


@pytest.fixture
def stack(
    emulator: Emulator, sqlite_database_url: str, tmp_path: Path, internal_token: str
) -> Iterator[Stack]:
    auth = start_auth(emulator, sqlite_database_url, tmp_path, internal_token)
    gateway = RunningGateway(
        gateway_settings({"auth": auth.address}, data_dir=tmp_path), internal_token
    ).start()
    yield Stack(emulator, auth, gateway, tmp_path)
    gateway.stop()
    auth.stop()


def _me(
    stack: Stack | RunningGateway, token: str | None, raw_header: str | None = None
) -> requests.Response:
    headers = {}
    if raw_header is not None:
        headers["Authorization"] = raw_header
    elif token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(f"{stack.url}/api/v1/me", headers=headers, timeout=10)


def _assert_error(response: requests.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["status"] == status
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert "Traceback" not in response.text


def test_login_gives_a_token_that_me_accepts(stack: Stack) -> None:
    token = login(stack.url, "alice")
    me = _me(stack, token)
    assert me.status_code == 200
    assert me.json() == {
        **stack.emulator.user("alice").profile(),
        "tapedeck": {"spotify_authorization_lost": False},
    }
    assert "email" not in me.json()  # the 2026 development-mode shape, stored as given


def test_the_json_callback_returns_token_type_expiry_and_user(stack: Stack) -> None:
    browser = requests.Session()
    callback = follow_to_callback(stack.url, "alice", browser=browser)
    answer = browser.get(callback, headers={"Accept": "application/json"}, timeout=10)
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert body["user"]["id"] == "alice"


def test_the_browser_callback_redirects_home_with_the_token_in_the_fragment(stack: Stack) -> None:
    browser = requests.Session()
    callback = follow_to_callback(stack.url, "alice", return_to="/playlists", browser=browser)
    answer = browser.get(callback, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == stack.url
    assert location.path == "/playlists"
    assert location.fragment.startswith("token=")
    assert _me(stack, location.fragment.removeprefix("token=")).status_code == 200


def test_login_redirects_to_spotify_with_the_documented_parameters(stack: Stack) -> None:
    answer = requests.get(f"{stack.url}/auth/login", allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    from urllib.parse import parse_qs

    query = parse_qs(location.query)
    assert location.path == "/authorize"
    assert query["response_type"] == ["code"]
    assert query["client_id"] == ["test-client"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8000/auth/callback"]
    assert set(query["scope"][0].split()) == {
        "playlist-read-private",
        "playlist-read-collaborative",
        "user-library-read",
        "user-follow-read",
        "user-read-private",
    }
    assert len(query["state"][0]) >= 32


@pytest.mark.parametrize("hostile", ["https://evil.example/", "//evil.example", "/\\evil.example"])
def test_return_to_never_leads_off_site(stack: Stack, hostile: str) -> None:
    answer = requests.get(
        f"{stack.url}/auth/login", params={"return_to": hostile}, allow_redirects=False, timeout=10
    )
    _assert_error(answer, 400, "bad_request")


def test_logout_revokes_the_token_at_once(stack: Stack) -> None:
    token = login(stack.url, "alice")
    assert _me(stack, token).status_code == 200
    out = requests.post(
        f"{stack.url}/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert out.status_code == 204
    _assert_error(_me(stack, token), 401, "invalid_token")


def test_another_login_of_the_same_person_keeps_working_after_one_logs_out(stack: Stack) -> None:
    phone, laptop = login(stack.url, "alice"), login(stack.url, "alice")
    requests.post(
        f"{stack.url}/auth/logout", headers={"Authorization": f"Bearer {phone}"}, timeout=10
    )
    assert _me(stack, laptop).status_code == 200


def _forged(stack: Stack, **claims: object) -> str:
    now = int(time.time())
    body: dict[str, object] = {
        "iss": "http://127.0.0.1:8000",
        "aud": "tapedeck",
        "sub": "x",
        "iat": now,
        "exp": now + 600,
        "jti": "forged",
    }
    body.update(claims)
    return jwt.encode(body, stack.signing_key(), algorithm="EdDSA")


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(None, id="no-header"),
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("Bearer garbage", id="garbage"),
        pytest.param("Basic YWxpY2U6c2VjcmV0", id="basic-scheme"),
        pytest.param("Bearer " + "a" * 5000, id="5000-characters"),
        pytest.param("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", id="alg-none"),
    ],
)
def test_malformed_credentials_get_401(stack: Stack, header: str | None) -> None:
    _assert_error(_me(stack, None, raw_header=header), 401, "invalid_token")


def test_a_token_signed_by_another_key_gets_401(stack: Stack) -> None:
    token = login(stack.url, "alice")
    claims = jwt.decode(token, options={"verify_signature": False})
    other = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA")
    _assert_error(_me(stack, other), 401, "invalid_token")


def test_hs256_signed_with_the_public_key_gets_401(stack: Stack) -> None:
    token = login(stack.url, "alice")
    claims = jwt.decode(token, options={"verify_signature": False})
    public = (
        stack.signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    import base64
    import hashlib
    import hmac
    import json

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(public, f"{head}.{body}".encode(), hashlib.sha256).digest())
    _assert_error(_me(stack, f"{head}.{body}.{sig}"), 401, "invalid_token")


def test_an_expired_token_gets_401(stack: Stack) -> None:
    token = login(stack.url, "alice")
    user = jwt.decode(token, options={"verify_signature": False})["sub"]
    past = int(time.time()) - 3600
    _assert_error(
        _me(stack, _forged(stack, sub=user, iat=past, exp=past + 60)), 401, "invalid_token"
    )


def test_a_token_for_another_audience_gets_401(stack: Stack) -> None:
    token = login(stack.url, "alice")
    user = jwt.decode(token, options={"verify_signature": False})["sub"]
    _assert_error(_me(stack, _forged(stack, sub=user, aud="other-app")), 401, "invalid_token")


@pytest.mark.parametrize(
    "query",
    [
        pytest.param({"code": "x"}, id="missing-state"),
        pytest.param({"code": "x", "state": "forged"}, id="forged-state"),
        pytest.param({"state": "forged", "error": "access_denied"}, id="access-denied-forged"),
        pytest.param({"code": "x", "state": "s" * 5000}, id="oversized-state"),
    ],
)
def test_bad_callbacks_get_400_or_422(stack: Stack, query: dict[str, str]) -> None:
    answer = requests.get(f"{stack.url}/auth/callback", params=query, timeout=10)
    assert answer.status_code in (400, 422), answer.text
    assert answer.json()["error"]["code"] in ("bad_request", "invalid_request")


def test_a_reused_state_gets_400(stack: Stack) -> None:
    browser = requests.Session()
    callback = follow_to_callback(stack.url, "alice", browser=browser)
    first = browser.get(callback, headers={"Accept": "application/json"}, timeout=10)
    assert first.status_code == 200
    again = browser.get(callback, headers={"Accept": "application/json"}, timeout=10)
    _assert_error(again, 400, "bad_request")


def test_access_denied_gets_400(stack: Stack) -> None:
    browser = requests.Session()
    callback = follow_to_callback(stack.url, "alice", deny=True, browser=browser)
    assert "error=access_denied" in callback
    _assert_error(browser.get(callback, timeout=10), 400, "bad_request")


def test_an_auth_service_that_is_down_gives_503_and_the_gateway_recovers(
    stack: Stack, sqlite_database_url: str, internal_token: str
) -> None:
    token = login(stack.url, "alice")
    address = stack.auth.address
    stack.auth.stop()
    down = _me(stack, token)
    _assert_error(down, 503, "service_unavailable")
    assert int(down.headers["Retry-After"]) > 0
    stack.auth = start_auth(
        stack.emulator, sqlite_database_url, stack.data_dir, internal_token, address=address
    )
    deadline = time.monotonic() + 10
    while (answer := _me(stack, token)).status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert answer.status_code == 200


def test_an_oversized_body_gets_413(stack: Stack) -> None:
    answer = requests.post(f"{stack.url}/auth/logout", data=b"x" * (2 * 1024 * 1024), timeout=10)
    _assert_error(answer, 413, "payload_too_large")


def test_healthz_and_openapi_answer(stack: Stack) -> None:
    assert requests.get(f"{stack.url}/healthz", timeout=5).json() == {"status": "ok"}
    spec = requests.get(f"{stack.url}/openapi.json", timeout=5).json()
    assert "/api/v1/me" in spec["paths"]


def test_readyz_names_the_services_that_are_not_serving(stack: Stack) -> None:
    answer = requests.get(f"{stack.url}/readyz", timeout=10)
    assert answer.status_code == 503
    message = answer.json()["error"]["message"]
    assert "library" in message and "auth" not in message.split(":", 1)[1]


def test_metrics_count_requests_by_route(stack: Stack) -> None:
    requests.get(f"{stack.url}/healthz", timeout=5)
    text = requests.get(f"{stack.url}/metrics", timeout=5).text
    assert 'tapedeck_http_requests_total{method="GET",route="/healthz",status="200"}' in text


def test_a_gateway_starts_while_auth_is_down_and_checks_tokens_once_it_is_back(
    stack: Stack, sqlite_database_url: str, internal_token: str
) -> None:
    token = login(stack.url, "alice")
    address = stack.auth.address
    stack.auth.stop()
    late = RunningGateway(
        gateway_settings({"auth": address}, data_dir=stack.data_dir), internal_token
    ).start()
    try:
        assert requests.get(f"{late.url}/healthz", timeout=5).status_code == 200
        _assert_error(_me(late, token), 503, "service_unavailable")  # never let through
        stack.auth = start_auth(
            stack.emulator, sqlite_database_url, stack.data_dir, internal_token, address=address
        )
        late.wait_synced()
        assert _me(late, token).status_code == 200
        _assert_error(_me(late, "x" + token), 401, "invalid_token")
    finally:
        late.stop()
