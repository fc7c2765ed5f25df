"""The launcher's watch over supervisord until it ends: say once when Tapedeck is ready, say
when a process exits, and stop everything with that process's last error line when one
cannot start: it exits before Tapedeck was first ready, supervisord gives up on it, or it
keeps exiting."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
import xmlrpc.client
from collections import defaultdict
from dataclasses import dataclass, field
from types import FrameType

from launcher.console import ready_text, say
from launcher.failures import Logs
from launcher.rpc import Supervisor
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


@dataclass
class Watch:
    settings: LauncherSettings
    supervisor: Supervisor
    logs: Logs
    # time.monotonic() when the launcher started.
    started: float
    ready: bool = False
    stopping: bool = False
    # Seconds from the launcher's start to the first 200 from /readyz, once seen.
    _ready_after: float | None = None
    _exits: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
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
                say(
                    f"supervisord ended unexpectedly (exit status {code}); "
                    f"its log: {self.logs.path('supervisord')}"
                )
                return code or 1
            failed = self._look()
            if failed is not None:
                say(failed)
                say("stopping the other processes")
                self._stop(supervisord)
                return 1
            time.sleep(RUNNING_INTERVAL_S if self.ready else STARTING_INTERVAL_S)

    def _look(self) -> str | None:
        """The line to stop on, if a process cannot start; says when a running one exits."""
        try:
            processes = self.supervisor.processes()
        except (OSError, xmlrpc.client.Error):
            processes = []  # not listening yet, or busy
        for exit in self.logs.exits():
            if self.stopping:
                return None
            why = self._why(exit.name, f" ({exit.cause})")
            if not self.ready:
                return f"{exit.name} could not start: {why}"
            recent = [t for t in self._exits[exit.name] if t > exit.when - EXITS_WINDOW_S]
            self._exits[exit.name] = [*recent, exit.when]
            if len(self._exits[exit.name]) >= EXITS_LIMIT:
                return (
                    f"{exit.name} keeps exiting ({EXITS_LIMIT} times within "
                    f"{EXITS_WINDOW_S:.0f} s): {why}"
                )
            say(f"{exit.name} exited unexpectedly; supervisord restarts it: {why}")
        for p in processes:
            # Given up (FATAL), or never spawned (a missing command, say): no exit to read.
            if not self.stopping and (p.state == "FATAL" or (p.spawnerr and not self.ready)):
                return f"{p.name} could not start: {self._why(p.name, '', p.spawnerr)}"
        if not self.ready and self._ready_after is not None:
            self.ready = True
            say(ready_text(self.settings, self._ready_after, self.logs.log_dir))
        return None

    def _why(self, name: str, cause: str, otherwise: str = "it logged no error") -> str:
        """Its last error line, how it ended, and where its log is."""
        line = self.logs.last_error(name) or otherwise
        return f"{line}{cause}; log: {self.logs.path(name)}"

    def _stop(self, supervisord: subprocess.Popen[bytes]) -> None:
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
    # No time limit: supervisord kills a process that outlives its stopwaitsecs itself, and
    # killing supervisord would leave its processes (each in a process group of its own)
    # running.
    return supervisord.wait()
