"""A fuzz run over the gateway's OpenAPI description (schemathesis): every documented
operation of the whole stack in-process, on the emulator, for a logged-in user whose library
has been saved once, gets generated requests (valid and invalid) with a bounded number of
examples and a fixed seed. No answer is a 5xx other than a documented 503, every error
answer is the error body of docs/api.md with the HTTP status in it, and every answer
conforms to the schema, status and headers the document gives for it."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis import Case
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from teststack.fixtures import make_emulator
from teststack.stack import Stack

from gateway.app import create_app
from gateway.settings import GatewaySettings

MAX_EXAMPLES = 20
SEED = 15
ENDED = ("succeeded", "partial", "failed")
# Routes whose well-formed input is refused by rules no schema states (400, documented): a
# return_to off this site, a login state unknown to the auth service, a token name that is
# blank or not printable once stripped (Python's str.isprintable, beyond a JSON Schema
# pattern); a download request naming none or several of tracks, playlist_id and liked, or
# the url source on a server without TAPEDECK_DOWNLOAD_URL_TEMPLATE.
REFUSING_VALID_INPUT = (
    "/auth/login",
    "/auth/callback",
    "/api/v1/tokens",
    "/api/v1/downloads",
    # A body choosing nothing to restore, or an import body without a file or URIs, fits the
    # schema and is refused 400 with the reason.
    "/api/v1/restores",
    "/api/v1/imports",
    # The rule's numbers are strict integers: 831.0 is refused 422, though JSON Schema calls
    # it an integer.
    "/api/v1/library/retention",
)
# Keys documented beside `error` in an error body: where to grant write access in a 403
# scope_required, the running save of a 409, each backend's
# state in /readyz's 503.
EXTRAS = {403: {"login_url"}, 409: {"save"}, 503: {"services"}}


@dataclass(frozen=True)
class Saved:
    """The whole stack, a logged-in user, and one succeeded save of their library."""

    stack: Stack
    token: str
    # Real ids of that user's objects, by the name of the path or query parameter naming them.
    ids: dict[str, str]

    @property
    def url(self) -> str:
        return self.stack.url


def _saved(stack: Stack) -> Saved:
    token = stack.login()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    started = session.post(f"{stack.url}/api/v1/library/saves", json={}, timeout=30)
    assert started.status_code == 202, started.text
    save_id = started.json()["id"]
    deadline = time.monotonic() + 60
    while (save := session.get(f"{stack.url}/api/v1/library/saves/{save_id}", timeout=30).json())[
        "status"
    ] not in ENDED:
        assert time.monotonic() < deadline, save
        time.sleep(0.05)
    assert save["status"] == "succeeded", save
    playlists = session.get(f"{stack.url}/api/v1/playlists", timeout=30).json()["items"]
    playlist_id = next(p["id"] for p in playlists if p["tapedeck"]["items_saved"] > 1)
    # A download job (queued: the stack runs no download workers, nothing leaves the machine).
    queued = session.post(f"{stack.url}/api/v1/downloads", json={"liked": True}, timeout=30)
    assert queued.status_code == 202, queued.text
    job = queued.json()["items"][0]
    # A restore's plan (a dry run touches nothing) and an import of that track's URI.
    planned = session.post(
        f"{stack.url}/api/v1/restores",
        json={"playlists": [playlist_id], "dry_run": True},
        timeout=30,
    )
    assert planned.status_code == 200, planned.text
    imported = session.post(
        f"{stack.url}/api/v1/imports",
        json={"name": "fuzz", "uris": [f"spotify:track:{job['track_id']}"]},
        timeout=30,
    )
    assert imported.status_code == 201, imported.text
    return Saved(
        stack,
        token,
        {
            "save_id": save_id,
            "save": save_id,
            "playlist_id": playlist_id,
            "job_id": job["id"],
            "track_id": job["track_id"],
            "restore_id": planned.json()["id"],
            "import_id": imported.json()["id"],
        },
    )


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Saved]:
    emulator = make_emulator()
    try:
        stack = Stack.start(emulator, tmp_path_factory.mktemp("fuzz"))
        try:
            yield _saved(stack)
        finally:
            stack.stop()
    finally:
        emulator.stop()


def error_body_as_documented(ctx: Any, response: Any, case: Case) -> bool | None:
    """No 5xx but a 503, and every error is the documented body, status included."""
    status = response.status_code
    if status < 400:
        return None
    label = f"{case.operation.label}: {status}"
    assert status < 500 or status == 503, f"{label}: {response.text[:500]}"
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{label} with a body that is not JSON") from None
    assert isinstance(body, dict), f"{label}: {body!r}"
    assert set(body) - EXTRAS.get(status, set()) == {"error"}, f"{label}: {sorted(body)}"
    error = body["error"]
    assert isinstance(error, dict), f"{label}: {error!r}"
    assert set(error) == {"status", "code", "message"}, f"{label}: {sorted(error)}"
    assert error["status"] == status, f"{label} says {error['status']}"
    assert isinstance(error["code"], str) and error["code"], f"{label}: {error!r}"
    assert isinstance(error["message"], str), f"{label}: {error!r}"
    return True


def _document() -> dict[str, Any]:
    """The document the gateway serves at /openapi.json, made without serving it: the
    operations must be known when tests are collected (one test per operation), before any
    stack runs. test_the_gateway_serves_the_document_fuzzed holds it equal to the served one.
    (schemathesis.pytest.from_fixture, which would load it from the running stack, fails under
    pytest 9.2: it renames the test node through `_nodeid`, which pytest no longer has.)"""
    app = create_app(GatewaySettings(_env_file=None), secrets.token_urlsafe(32))
    return app.openapi()


DOCUMENT = _document()
schema = schemathesis.openapi.from_dict(
    DOCUMENT,
    config=SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "request-timeout": 30,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
                "mode": "all",
                # Unknown query parameters are ignored, as Spotify ignores them (and `next`
                # links carry the query on): sending some is not invalid input here.
                "allow-extra-parameters": False,
            },
            # A documented 503 (a backend down, as /readyz says) is an answer;
            # error_body_as_documented refuses every other 5xx.
            "checks": {"not_a_server_error": {"expected-statuses": ["2XX", "3XX", "4XX", 503]}},
        }
    ),
)


def test_the_gateway_serves_the_document_fuzzed(saved: Saved) -> None:
    served = requests.get(f"{saved.url}/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == DOCUMENT


@schema.parametrize()
def test_no_answer_breaks_the_document(case: Case, saved: Saved) -> None:
    headers: dict[str, str] = {}
    guarded = bool(case.operation.definition.raw.get("security"))
    # A case whose Authorization schemathesis removed or spoiled on purpose keeps it so.
    if guarded and not case.operation.schema.is_security_param_negated(case):
        headers["Authorization"] = f"Bearer {saved.token}"
        if (case.method, case.path) == ("POST", "/auth/logout"):
            # Logging out revokes the token it is sent: each case logs out a login of its own.
            headers["Authorization"] = f"Bearer {saved.stack.login()}"
    excluded = []
    if case.path in REFUSING_VALID_INPUT:
        excluded.append(positive_data_acceptance)
    case.call_and_validate(
        base_url=saved.url,
        headers=headers,
        additional_checks=[error_body_as_documented],
        excluded_checks=excluded,
    )


def test_a_method_not_allowed_names_every_method_of_the_path(saved: Saved) -> None:
    answer = requests.request(
        "PUT",
        f"{saved.url}/api/v1/library/saves",
        headers={"Authorization": f"Bearer {saved.token}"},
        timeout=10,
    )
    assert answer.status_code == 405
    assert answer.json()["error"] == {
        "status": 405,
        "code": "method_not_allowed",
        "message": "Method Not Allowed",
    }
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "POST"}


def test_every_read_of_real_objects_answers_as_documented(saved: Saved) -> None:
    """What random ids rarely reach: each GET with the ids of the user's real save and
    playlist, on a first page and a middle one, answers as the document says."""
    reads = [
        schema[path]["GET"]
        for path, operations in DOCUMENT["paths"].items()
        if "get" in operations and path != "/auth/callback"
    ]
    assert reads
    for operation in reads:
        path_parameters = {p.name: saved.ids[p.name] for p in operation.path_parameters}
        queries: list[dict[str, Any]] = [{}]
        known = {p.name for p in operation.query}
        if {"limit", "offset"} <= known:
            queries.append({"limit": 2, "offset": 1})
        if "save" in known:
            queries.append({"save": saved.ids["save"]})
        for query in queries:
            case = operation.Case(
                path_parameters=path_parameters,
                query=query,
                headers={"Authorization": f"Bearer {saved.token}"},
            )
            answer = case.call_and_validate(
                base_url=saved.url, additional_checks=[error_body_as_documented]
            )
            # The stack runs every service, so /readyz is 200 like any other read.
            # A queued download has no file yet: 409, as documented.
            expected = {"/auth/login": 302, "/api/v1/downloads/{job_id}/file": 409}.get(
                operation.path, 200
            )
            assert answer.status_code == expected, (operation.label, query, answer.text[:300])


def test_every_guarded_operation_refuses_a_request_without_a_token(saved: Saved) -> None:
    guarded = [
        (method, path)
        for path, operations in DOCUMENT["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    ]
    assert len(guarded) > 10
    for method, path in guarded:
        operation = schema[path][method.upper()]
        path_parameters = {
            p.name: saved.ids.get(p.name, "0" * 32) for p in operation.path_parameters
        }
        answer = operation.Case(path_parameters=path_parameters).call(base_url=saved.url)
        assert answer.status_code == 401, (method, path, answer.text[:300])
        assert answer.json()["error"]["code"] == "invalid_token", (method, path)
        operation.Case(path_parameters=path_parameters).validate_response(
            answer, additional_checks=[error_body_as_documented]
        )
