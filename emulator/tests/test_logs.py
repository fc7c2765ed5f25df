"""What the emulator logs: JSON lines on stdout, like every Tapedeck process, with no colour
codes and no secret (client secret, tokens, authorization codes) ever."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from spotify_emulator.__main__ import SECRET_ENV
from spotify_emulator.logs import REDACTED, JsonFormatter

REDIRECT = "http://127.0.0.1:8000/auth/callback"


def _start(secret: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    """The process, its URL and the lines it logged until it said so."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAPEDECK_")}
    env[SECRET_ENV] = secret
    process = subprocess.Popen(
        [
            sys.executable, "-m", "spotify_emulator", "--port", "0", "--profile", "tiny",
            "--client-id", "cid", "--log-level", "DEBUG",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )  # fmt: skip
    assert process.stdout is not None
    # The line saying where it listens carries the URL as a field of its own.
    lines = [process.stdout.readline()]
    while "url" not in json.loads(lines[-1]):
        lines.append(process.stdout.readline())
    url = json.loads(lines[-1])["url"]
    assert isinstance(url, str) and url.startswith("http://127.0.0.1:"), lines
    return process, url, [line.rstrip("\n") for line in lines]


def _stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    return out, err


def test_every_line_is_json_without_colour_or_secrets() -> None:
    secret = "s3cret-" + os.urandom(8).hex()
    process, url, first_lines = _start(secret)
    secrets: list[str] = [secret]
    try:
        assert requests.get(f"{url}/_emulator/health", timeout=5).status_code == 200
        query = {
            "client_id": "cid", "response_type": "code", "redirect_uri": REDIRECT,
            "state": "st", "scope": "user-library-read",
        }  # fmt: skip
        login = requests.get(f"{url}/authorize", params=query, allow_redirects=False, timeout=5)
        code = parse_qs(urlsplit(login.headers["Location"]).query)["code"][0]
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        issued = requests.post(f"{url}/api/token", data=form, auth=("cid", secret), timeout=5)
        assert issued.status_code == 200, issued.text
        tokens: dict[str, Any] = issued.json()
        refresh_form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
        refreshed = requests.post(
            f"{url}/api/token", data=refresh_form, auth=("cid", secret), timeout=5
        ).json()
        wrong = requests.post(f"{url}/api/token", data=form, auth=("cid", "nope"), timeout=5)
        assert wrong.status_code == 400
        for access in (tokens["access_token"], refreshed["access_token"], "BQ-not-a-token"):
            requests.get(f"{url}/v1/me", headers={"Authorization": f"Bearer {access}"}, timeout=5)
        # A token in a query string (some clients do that) reaches the request log line.
        requests.get(f"{url}/v1/me", params={"access_token": tokens["access_token"]}, timeout=5)
        secrets += [code, tokens["access_token"], tokens["refresh_token"]]
        secrets.append(refreshed["access_token"])
    finally:
        out, err = _stop(process)

    assert err == ""
    lines = first_lines + out.splitlines()
    assert len(lines) >= 8  # listening, a request line per request at DEBUG, stopped
    for line in lines:
        assert "\x1b[" not in line
        record = json.loads(line)
        assert {"time", "level", "logger", "message", "service"} <= record.keys(), line
        assert record["service"] == "emulator"
        for found in secrets:
            assert found not in line, line
    messages = [json.loads(line)["message"] for line in lines]
    assert any("POST /api/token" in m for m in messages)  # the request log is there...
    assert any(REDACTED in m for m in messages)  # ...with the query-string token blanked out
    assert messages[-1] == "Spotify emulator stopped"


def _record(message: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("spotify_emulator", logging.INFO, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    return record


def test_the_formatter_keeps_extras_and_blanks_secrets_and_tokens_out() -> None:
    token = "BQ" + "x" * 128
    formatter = JsonFormatter(secrets=["hunter2"])
    line = formatter.format(_record("got %s and %s", "hunter2", token, user="alice"))
    record = json.loads(line)
    assert record["message"] == f"got {REDACTED} and {REDACTED}"
    assert record["user"] == "alice" and record["level"] == "INFO"
    # Ids and snapshot ids are no tokens.
    assert json.loads(formatter.format(_record("4iV5W9uYEdYUVa79Axb7Rh")))["message"] == (
        "4iV5W9uYEdYUVa79Axb7Rh"
    )


def test_an_exception_is_one_json_line() -> None:
    formatter = JsonFormatter()
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = _record("failed")
        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert "\n" not in line
    assert "RuntimeError: boom" in json.loads(line)["exc_info"]
