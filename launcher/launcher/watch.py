"""The launcher's watch over supervisord until it ends: say once when Tapedeck is ready, say
when a process exits, and stop everything with that process's last error line when one
cannot start (it exits before Tapedeck was first ready, or supervisord gives up on it)."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from launcher.console import ready_text, say
from launcher.failures import exit_cause, last_error, unexpected_exits
from launcher.rpc import EXITED_STATES, ProcessInfo, Supervisor
from launcher.settings import LauncherSettings

# Seconds between looks: short while starting (supervisord's first look at its programs
# waits for its socket to be used or a second to pass, and the launcher's first call is that
# use), longer once ready.
STARTING_INTERVAL_S = 0.1
RUNNING_INTERVAL_S = 1.0
READYZ_TIMEOUT_S = 3.0
# Once ready, a process that exits this often this quickly is given up, whether or not it
# outlived supervisord's startsecs each time (then supervisord would restart it forever).
EXITS_LIMIT = 4
EXITS_WINDOW_S = 60.0
SHUTDOWN_WAIT_S = 60.0


@dataclass
class Watch:
    settings: LauncherSettings
    supervisor: Supervisor
    log_dir: Path
    # Where each process's log ended before this start.
    offsets: dict[str, int]
    # time.monotonic() when the launcher started.
    started: float
    ready: bool = False
    stopping: bool = False
    # Seconds from the launcher's start to the first 200 from /readyz, once seen.
    _ready_after: float | None = None
    _starts: dict[str, int] = field(default_factory=dict)
    _reported: set[tuple[str, int]] = field(default_factory=set)
    _opener: urllib.request.OpenerDirector = field(
        # Never through an HTTP proxy from the environment: this is our own loopback.
        default_factory=lambda: urllib.request.build_opener(urllib.request.ProxyHandler({}))
    )

    def run(self, supervisord: subprocess.Popen[bytes]) -> int:
        """Until supervisord ends; returns the launcher's exit status."""

        def forward(signum: int, _frame: FrameType | None) -> None:
            self.stopping = True
            if supervisord.poll() is None:
                # supervisord stops every process on SIGTERM or SIGINT (SIGHUP would reload).
                supervisord.send_signal(signal.SIGTERM if signum == signal.SIGHUP else signum)

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, forward)
        # Apart from the looks at the processes: a slow answer must not hold them up.
        threading.Thread(target=self._poll_readyz, name="readyz", daemon=True).start()

        while True:
            if self.stopping:
                return _wait(supervisord)
            code = supervisord.poll()
            if code is not None:
                last = last_error(self._supervisord_log, 0)
                say(f"supervisord ended unexpectedly (exit status {code}): {last}")
                return code or 1
            failed = self._look()
            if failed is not None:
                self._fail(*failed, supervisord)
                return 1
            time.sleep(RUNNING_INTERVAL_S if self.ready else STARTING_INTERVAL_S)

    def _look(self) -> tuple[ProcessInfo, str] | None:
        """A process that cannot start and what to say of it, if any; says when a running
        one exits."""
        try:
            processes = self.supervisor.processes()
        except (OSError, xmlrpc.client.Error):
            return None  # not listening yet, or busy stopping
        for p in processes:
            if self.stopping:
                return None
            known = self._starts.get(p.name)
            # An exit is known by the start it ended: seen in its state, or by a new start
            # when supervisord restarted it between two looks.
            if p.state in EXITED_STATES:
                ended: int | None = p.start
            elif known is not None and p.start != known:
                ended = known
            else:
                ended = None
            if p.start:
                self._starts[p.name] = p.start
            if ended is not None and not self.ready:
                return p, "could not start"
            if p.state == "FATAL" or (ended is not None and self._exits_often(p.name)):
                return p, f"keeps exiting ({EXITS_LIMIT} times within {EXITS_WINDOW_S:.0f} s)"
            if ended is not None and (p.name, ended) not in self._reported:
                self._reported.add((p.name, ended))
                say(f"{p.name} exited unexpectedly; supervisord restarts it: {self._why(p)}")
        if not self.ready and self._ready_after is not None:
            self.ready = True
            say(ready_text(self.settings, self._ready_after, self.log_dir))
        return None

    def _exits_often(self, name: str) -> bool:
        exits = unexpected_exits(self._supervisord_log, self.offsets.get("supervisord", 0), name)
        return len([t for t in exits if t > time.time() - EXITS_WINDOW_S]) >= EXITS_LIMIT

    @property
    def _supervisord_log(self) -> Path:
        return self.log_dir / "supervisord.log"

    def _why(self, p: ProcessInfo) -> str:
        line = last_error(Path(p.logfile), self.offsets.get(p.name, 0)) if p.logfile else None
        if p.spawnerr and not line:
            line = p.spawnerr
        cause = exit_cause(self._supervisord_log, self.offsets.get("supervisord", 0), p.name)
        ended = f" ({cause})" if cause else ""
        return f"{line or 'it logged no error'}{ended}; log: {p.logfile}"

    def _fail(self, p: ProcessInfo, what: str, supervisord: subprocess.Popen[bytes]) -> None:
        say(f"{p.name} {what}: {self._why(p)}")
        say("stopping the other processes")
        self.stopping = True
        try:
            self.supervisor.shutdown()
        except (OSError, xmlrpc.client.Error):
            supervisord.terminate()
        _wait(supervisord)

    def _poll_readyz(self) -> None:
        while not self.stopping:
            if self._readyz():
                self._ready_after = time.monotonic() - self.started
                return
            time.sleep(STARTING_INTERVAL_S)

    def _readyz(self) -> bool:
        host = self.settings.http_host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "[::1]"
        elif ":" in host:
            host = f"[{host}]"
        url = f"http://{host}:{self.settings.http_port}/readyz"
        try:
            with self._opener.open(url, timeout=READYZ_TIMEOUT_S) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError, ValueError):
            return False


def _wait(supervisord: subprocess.Popen[bytes]) -> int:
    try:
        return supervisord.wait(timeout=SHUTDOWN_WAIT_S)
    except subprocess.TimeoutExpired:
        say("supervisord did not stop in time: killing it")
        supervisord.kill()
        return supervisord.wait()
