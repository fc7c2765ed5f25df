"""Request bodies as a person types them (docs/api.md "Requests and responses"): JSON under
whatever Content-Type curl sends, and JSON that does not parse answered with where it broke."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from teststack.stack import Stack

SAVES = "/api/v1/library/saves"


def _post(api: Any, body: bytes, content_type: str | None) -> requests.Response:
    headers = {} if content_type is None else {"Content-Type": content_type}
    answer: requests.Response = api.session.post(
        f"{api.url}{SAVES}", data=body, headers=headers, timeout=30
    )
    assert answer.request.headers.get("Content-Type") == content_type
    return answer


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",  # what `curl -d` sends
        None,
        "text/plain",
        "application/json; charset=utf-8",
    ],
)
def test_a_json_body_is_read_as_json_whatever_its_content_type(
    stack: Stack, api: Any, content_type: str | None
) -> None:
    answer = _post(api, b'{"kinds":["tracks"]}', content_type)
    assert answer.status_code == 202, answer.text
    assert answer.json()["kinds"] == ["tracks"]
    assert api.wait(answer.json()["id"])["status"] == "succeeded"


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/json"])
def test_a_field_of_the_wrong_type_is_named_under_any_content_type(
    stack: Stack, api: Any, content_type: str
) -> None:
    answer = _post(api, b'{"kinds": "tracks"}', content_type)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_request"
    assert "kinds" in answer.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "line", "column", "offset"),
    [
        (b'{"kinds": ["tracks"]', 1, 21, 20),
        (b'{\n  "kinds": ["tracks"],\n  "full": tru\n}', 3, 11, 35),
        (b"kinds=tracks", 1, 1, 0),
    ],
)
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/json"])
def test_json_that_does_not_parse_is_answered_with_where_it_broke(
    stack: Stack, api: Any, body: bytes, line: int, column: int, offset: int, content_type: str
) -> None:
    answer = _post(api, body, content_type)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["status"] == 400 and error["code"] == "bad_request"
    # Where it broke is the point of this message.
    assert f"line {line}, column {column} (offset {offset})" in error["message"]
    assert "JSON decode error" not in error["message"]
    # Nothing was started.
    assert api.get(SAVES).json()["total"] == 0
