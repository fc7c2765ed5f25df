"""The OpenAPI document at /openapi.json is one a client generator can use: a bearer scheme
on every authenticated route (the Authorize button of /docs), a response schema for every
route, and every error a route can answer listed with the error body of docs/api.md. Real
answers of the whole stack are validated against it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from teststack.fixtures import make_emulator
from teststack.login import follow_to_callback
from teststack.stack import Stack

from spotify_emulator import Faults
from spotify_emulator.config import Hold

Operation = tuple[str, str]

AUTHENTICATED = {401, 500, 503}
# What each route can answer besides success: what a client must be ready for.
ERRORS: dict[Operation, set[int]] = {
    ("get", "/healthz"): {500},
    ("get", "/readyz"): {500, 503},
    ("get", "/metrics"): {401, 403, 500},
    ("get", "/auth/login"): {400, 422, 429, 500, 503},
    ("get", "/auth/callback"): {400, 422, 500, 503},
    ("post", "/auth/logout"): AUTHENTICATED | {413},
    ("get", "/api/v1/me"): AUTHENTICATED,
    ("post", "/api/v1/tokens"): AUTHENTICATED | {400, 413, 422},
    ("get", "/api/v1/tokens"): AUTHENTICATED,
    ("delete", "/api/v1/tokens/{token_id}"): AUTHENTICATED | {404},
    ("post", "/api/v1/recovery-codes"): AUTHENTICATED | {413},
    ("post", "/auth/recovery"): {400, 401, 413, 422, 429, 500, 503},
    ("post", "/api/v1/library/saves"): AUTHENTICATED | {400, 409, 413, 422, 429},
    ("get", "/api/v1/library/saves"): AUTHENTICATED | {422},
    ("get", "/api/v1/library/saves/{save_id}"): AUTHENTICATED | {404},
    ("get", "/api/v1/library/saves/{save_id}/events"): AUTHENTICATED | {404, 429},
    ("delete", "/api/v1/library/saves/{save_id}"): AUTHENTICATED | {404, 409},
    ("get", "/api/v1/library/retention"): AUTHENTICATED,
    ("put", "/api/v1/library/retention"): AUTHENTICATED | {400, 413, 422},
    ("get", "/api/v1/library/schedule"): AUTHENTICATED,
    ("put", "/api/v1/library/schedule"): AUTHENTICATED | {400, 413, 422},
    ("get", "/api/v1/library/diff"): AUTHENTICATED | {404},
    ("get", "/api/v1/playlists"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/playlists/{playlist_id}"): AUTHENTICATED | {404},
    ("get", "/api/v1/playlists/{playlist_id}/tracks"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/tracks"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/albums"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/artists"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/exports/playlists/{playlist_id}.csv"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/exports/tracks.csv"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/exports/library.zip"): AUTHENTICATED | {400, 404},
    ("get", "/api/v1/exports/library.xml"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/exports/playlists/{playlist_id}.m3u8"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/playlists/{playlist_id}/history"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/history"): AUTHENTICATED | {422},
    ("get", "/api/v1/tracks/{track_id}/history"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/playlists/{playlist_id}/cumulative"): AUTHENTICATED | {404, 422},
    ("get", "/api/v1/exports/playlists/{playlist_id}/cumulative.csv"): AUTHENTICATED | {404},
    ("post", "/api/v1/downloads"): AUTHENTICATED | {400, 404, 413, 422},
    ("get", "/api/v1/downloads"): AUTHENTICATED | {422},
    ("get", "/api/v1/downloads/{job_id}"): AUTHENTICATED | {404},
    ("delete", "/api/v1/downloads/{job_id}"): AUTHENTICATED | {404},
    ("get", "/api/v1/downloads/{job_id}/file"): AUTHENTICATED | {404, 409},
    ("post", "/api/v1/restores"): AUTHENTICATED | {400, 403, 404, 413, 422},
    ("get", "/api/v1/restores"): AUTHENTICATED | {422},
    ("get", "/api/v1/restores/{restore_id}"): AUTHENTICATED | {404},
    ("delete", "/api/v1/restores/{restore_id}"): AUTHENTICATED | {404},
    ("get", "/api/v1/restores/{restore_id}/events"): AUTHENTICATED | {404},
    ("post", "/api/v1/imports"): AUTHENTICATED | {400, 413},
    ("get", "/api/v1/imports"): AUTHENTICATED | {422},
    ("get", "/api/v1/imports/{import_id}"): AUTHENTICATED | {404},
    ("delete", "/api/v1/imports/{import_id}"): AUTHENTICATED | {404},
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str]]:
    emulator = make_emulator()
    stack = Stack.start(emulator, tmp_path_factory.mktemp("stack"))
    yield stack, stack.login()
    stack.stop()
    emulator.stop()


@pytest.fixture(scope="module")
def spec(shared: tuple[Stack, str]) -> dict[str, Any]:
    stack, _ = shared
    answer = requests.get(f"{stack.url}/openapi.json", timeout=10)
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def _operations(spec: dict[str, Any]) -> Iterator[tuple[Operation, dict[str, Any]]]:
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            yield (method, path), operation


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return resolved


def test_the_document_covers_every_route(spec: dict[str, Any]) -> None:
    assert {operation for operation, _ in _operations(spec)} == set(ERRORS)


def test_a_bearer_scheme_guards_every_authenticated_route(spec: dict[str, Any]) -> None:
    schemes = spec["components"]["securitySchemes"]
    bearer = [
        name for name, s in schemes.items() if (s["type"], s.get("scheme")) == ("http", "bearer")
    ]
    assert len(bearer) == 1
    for (method, path), operation in _operations(spec):
        guarded = {name for requirement in operation.get("security", []) for name in requirement}
        needs_token = path.startswith("/api/") or path == "/auth/logout"
        assert guarded == ({bearer[0]} if needs_token else set()), (method, path)


def test_every_route_documents_its_success_with_a_schema(spec: dict[str, Any]) -> None:
    for operation_id, operation in _operations(spec):
        successes = {code: r for code, r in operation["responses"].items() if code < "400"}
        assert successes, operation_id
        for code, response in successes.items():
            if code in ("204", "302"):
                assert not response.get("content"), (operation_id, code)
                continue
            assert response.get("content"), (operation_id, code)
            for media_type, content in response["content"].items():
                schema = _resolve(spec, content.get("schema", {}))
                assert schema, (operation_id, code, media_type)
    events = spec["paths"]["/api/v1/library/saves/{save_id}/events"]["get"]
    assert list(events["responses"]["200"]["content"]) == ["text/event-stream"]


def test_every_route_lists_the_errors_it_can_answer_with_the_error_body(
    spec: dict[str, Any],
) -> None:
    error_body = spec["components"]["schemas"]["ErrorBody"]
    assert set(error_body["required"]) == {"error"}
    detail = _resolve(spec, error_body["properties"]["error"])
    assert set(detail["required"]) == {"status", "code", "message"}
    for operation_id, operation in _operations(spec):
        listed = {int(code) for code in operation["responses"] if code >= "400"}
        assert listed == ERRORS[operation_id], operation_id
        for code in listed:
            content = operation["responses"][str(code)]["content"]
            assert list(content) == ["application/json"], (operation_id, code)
            body = _resolve(spec, content["application/json"]["schema"])
            # The error body itself, or one adding a key next to `error` (409, /readyz's 503).
            assert body["properties"]["error"] == error_body["properties"]["error"]
            assert "error" in body["required"], (operation_id, code)
    # FastAPI's own validation-error shape is never what the gateway answers.
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def _wait(session: requests.Session, url: str, save_id: str) -> None:
    deadline = time.monotonic() + 60
    while session.get(f"{url}/api/v1/library/saves/{save_id}").json()["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_real_answers_match_the_document(shared: tuple[Stack, str], spec: dict[str, Any]) -> None:
    stack, token = shared
    url = stack.url
    openapi = OpenAPI.from_dict(spec)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    anonymous = requests.Session()
    answers: list[requests.Response] = []

    def call(client: requests.Session, method: str, path: str, **kwargs: Any) -> requests.Response:
        answer = client.request(method, f"{url}{path}", timeout=30, allow_redirects=False, **kwargs)
        answers.append(answer)
        return answer

    # Before any save: empty pages with their notice.
    call(session, "GET", "/api/v1/tracks")
    call(session, "GET", "/api/v1/playlists/0000000000000000000000")
    saved = call(session, "POST", "/api/v1/library/saves", json={"full": False}).json()
    _wait(session, url, saved["id"])
    call(session, "POST", "/api/v1/library/saves", data=b"{")
    call(session, "POST", "/api/v1/library/saves", json={"kinds": ["podcasts"]})
    stack.emulator.set_faults(Faults(hold=Hold(1000, timeout_s=60)))
    try:
        running = call(session, "POST", "/api/v1/library/saves", json={"kinds": ["artists"]})
        call(session, "POST", "/api/v1/library/saves", json={"kinds": ["tracks"]})  # 409
    finally:
        stack.emulator.set_faults(Faults())
    _wait(session, url, running.json()["id"])

    playlists = call(session, "GET", "/api/v1/playlists", params={"limit": 2}).json()
    playlist_id = playlists["items"][0]["id"]
    for path in (
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/me",
        "/api/v1/library/saves",
        f"/api/v1/library/saves/{saved['id']}",
        f"/api/v1/library/saves/{saved['id']}/events",
        "/api/v1/library/saves/" + "0" * 32,
        "/api/v1/library/diff",
        f"/api/v1/playlists/{playlist_id}",
        f"/api/v1/playlists/{playlist_id}/tracks",
        "/api/v1/playlists/0000000000000000000000",
        "/api/v1/tracks",
        "/api/v1/albums",
        "/api/v1/artists",
    ):
        call(session, "GET", path)
    call(session, "GET", "/api/v1/albums", params={"limit": 0})
    call(session, "GET", "/api/v1/artists", params={"save": saved["id"], "offset": 1})
    call(anonymous, "GET", "/api/v1/me")
    call(anonymous, "GET", "/auth/login")
    call(anonymous, "GET", "/auth/login", params={"return_to": "https://elsewhere.example"})
    call(anonymous, "GET", "/auth/callback", params={"code": "c", "state": "unknown"})
    callback = follow_to_callback(url, "tapedeck-demo", browser=anonymous)
    login = call(
        anonymous, "GET", callback.removeprefix(url), headers={"Accept": "application/json"}
    )
    callback = follow_to_callback(url, "tapedeck-demo", browser=anonymous)
    call(anonymous, "GET", callback.removeprefix(url))  # a browser: 302
    call(
        anonymous,
        "POST",
        "/auth/logout",
        headers={"Authorization": f"Bearer {login.json()['token']}"},
    )

    seen: set[tuple[str, int]] = set()
    for answer in answers:
        request = answer.request
        assert request.method is not None and request.url is not None
        if answer.headers.get("content-type", "").startswith("text/event-stream"):
            # openapi-core hands a stream's body over as bytes, which no JSON Schema types;
            # the stream's events are the subject of test_first_hour_event_stream.
            continue
        openapi.validate_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(answer))
        seen.add((request.method, answer.status_code))
    # What was validated covers successes and errors of several kinds.
    assert {code for _, code in seen} >= {200, 202, 204, 302, 400, 401, 404, 409, 422}
