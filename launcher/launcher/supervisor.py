"""A supervisord configuration for the programs: restart on crash, one log per process."""

from __future__ import annotations

import shlex
from pathlib import Path

from launcher.programs import Program


def config(programs: list[Program], run_dir: Path, log_dir: Path) -> str:
    sock = run_dir / "supervisor.sock"
    lines = [
        "[supervisord]",
        "nodaemon=true",
        f"logfile={log_dir / 'supervisord.log'}",
        f"pidfile={run_dir / 'supervisord.pid'}",
        f"childlogdir={log_dir}",
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
            "startsecs=1",
            "startretries=10",
            "stopsignal=TERM",
            "stopwaitsecs=15",
            "stopasgroup=true",
            "killasgroup=true",
            f"stdout_logfile={log_dir / f'{p.name}.log'}",
            "stdout_logfile_maxbytes=10MB",
            "stdout_logfile_backups=3",
            "redirect_stderr=true",
            "",
        ]
    return "\n".join(lines)
