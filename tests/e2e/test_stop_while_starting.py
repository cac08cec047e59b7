"""`sitwatch run` stopped (systemctl stop, a logout: SIGTERM) while it is still starting.

Building the daemon writes its status file before `sitwatch run` had its SIGTERM handler in
place; a SIGTERM in that window killed it outright (exit -15: no "stopped" status, no history
closed, the lock left to be found stale), the way a user who stops the service right after
starting it, or systemd on a quick logout, would meet it. It showed as a flaky e2e under load.
Each round sends SIGTERM the moment the status file appears, the earliest sign of a running
daemon a user (or a test) can see."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers.cli import scratch_env

ROUNDS = 4


def _one(tmp: Path) -> tuple[int, str]:
    tmp.mkdir()
    env = scratch_env(tmp)
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--no-user-config",
                             "--headless", "--port", os.ttyname(slave), "--layout",
                             "load-cells-4"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        deadline = time.monotonic() + 60
        while not list(Path(env["XDG_RUNTIME_DIR"]).rglob("status.json")):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "no status file within 60 s"
            select.select([], [], [], 0.001)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
        os.close(slave)
    return code, proc.stderr.read().decode(errors="replace") if proc.stderr else ""


def test_a_sigterm_as_the_daemon_starts_stops_it_cleanly(tmp_path: Path) -> None:
    for i in range(ROUNDS):
        code, said = _one(tmp_path / f"round{i}")
        assert "Traceback" not in said, said
        assert code == 0, f"round {i}: exit {code}\n{said}"
