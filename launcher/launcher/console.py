"""What `make run` says to the person at the terminal: plain lines on stderr, apart from the
JSON log lines. Errors are one line each, starting `tapedeck: ` like kit.settings' own."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from launcher.settings import LauncherSettings


def say(text: str) -> None:
    sys.stderr.write(f"tapedeck: {text}\n")
    sys.stderr.flush()


def ready_text(settings: LauncherSettings, seconds: float, log_dir: Path) -> str:
    url = settings.public_url.rstrip("/")
    login = f"{url}/auth/login"
    lines = [f"ready in {seconds:.1f} s on {url}"]
    if settings.demo:
        # What README.md's first hour does, on one line each.
        take_token = "python3 -c 'import json, sys; print(json.load(sys.stdin)[\"token\"])'"
        lines += [
            f"  log in:  {login} in a browser (demo mode: the bundled emulator approves at once),",
            "           or in a terminal:",
            f"           TOKEN=$(curl -sL -b '' -H 'Accept: application/json' {shlex.quote(login)} | {take_token})",
            f'           curl -H "Authorization: Bearer $TOKEN" {shlex.quote(url + "/api/v1/me")}',
        ]
    else:
        lines.append(f"  log in:  {login} in a browser, with your Spotify account")
    lines += [
        '  next:    README.md, "The first hour"',
        f"  logs:    {log_dir}/ (one file per process)",
        "  stop:    Ctrl-C",
    ]
    return "\n".join(lines)
