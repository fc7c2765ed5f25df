"""A supervisord configuration for the programs: restart on crash, one log per process.

supervisord spawns every program in the same pass of its loop, priorities only ordering
them within it (and the stop, in reverse), so the processes start at once. A program that
exits within `startsecs` of starting is retried `startretries` times, then given up (FATAL),
which the launcher's watch turns into a stop with the process's last error line."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from pathlib import Path

from launcher.programs import Program


def config(programs: list[Program], run_dir: Path, log_dir: Path) -> str:
    sock = run_dir / "supervisor.sock"
    lines = [
        "[supervisord]",
        "nodaemon=true",
        # The console is the launcher's; supervisord's own lines go to its log file only.
        "silent=true",
        f"logfile={log_dir / 'supervisord.log'}",
        f"pidfile={run_dir / 'supervisord.pid'}",
        f"childlogdir={log_dir}",
        # Whatever the processes create is their owner's only (kit.secrets).
        "umask=077",
        "",
        "[unix_http_server]",
        f"file={sock}",
        "chmod=0700",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{sock}",
        "",
    ]
    for p in programs:
        lines += [
            f"[program:{p.name}]",
            # supervisord expands %(...)s itself; escape any literal percent sign.
            f"command={shlex.join(p.command).replace('%', '%%')}",
            f"priority={p.priority}",
            "autostart=true",
            "autorestart=true",
            "startsecs=2",
            "startretries=3",
            "stopsignal=TERM",
            "stopwaitsecs=15",
            "stopasgroup=true",
            "killasgroup=true",
            f"stdout_logfile={log_dir / f'{p.name}.log'}",
            "stdout_logfile_maxbytes=10MB",
            "stdout_logfile_backups=3",
            "redirect_stderr=true",
        ]
        if p.environment:
            lines.append(f"environment={_environment(p.environment)}")
        lines.append("")
    return "\n".join(lines)


def _environment(variables: Mapping[str, str]) -> str:
    """supervisord's KEY="value",… (its %(...)s expansion escaped). supervisord's parser
    has no escape for a quote inside a value: such a value is refused with one line."""
    for key, value in variables.items():
        if '"' in value or "'" in value:
            raise SystemExit(f"tapedeck: invalid {key}: make run cannot pass a value with quotes")
    return ",".join(f'{key}="{value.replace("%", "%%")}"' for key, value in variables.items())
