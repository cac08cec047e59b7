"""`sitwatch simulate --interactive` on a real terminal, stopped the way its own line says:
Ctrl-C. The real command in a subprocess, its keyboard a pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from tests.helpers.cli import scratch_env

pytestmark = pytest.mark.integration


def _reading_keys(pid: int) -> bool:
    """One of the process's threads waits in a terminal read (the key reader)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "wchan").read_text() == "wait_woken":
                return True
        except OSError:
            continue
    return False


def test_ctrl_c_stops_the_steered_simulator_cleanly(tmp_path) -> None:
    """Ctrl-C said "stopped", then the interpreter died at exit: "Fatal Python error:
    _enter_buffered_busy: could not acquire lock for <_io.BufferedReader name='<stdin>'>",
    SIGABRT (exit -6, a core dump): the key reader's thread held stdin's buffer lock."""
    link = tmp_path / "cushion"
    master, slave = pty.openpty()
    sim = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "simulate", "--no-user-config", "--interactive",
         "--layout", "load-cells-4", "--link", str(link)],
        stdin=slave, stdout=slave, stderr=slave, env=scratch_env(tmp_path),
        start_new_session=True)
    os.close(slave)
    said = b""
    try:
        while b"keys:" not in said:
            assert select.select([master], [], [], 30)[0], said
            said += os.read(master, 4096)
        deadline = time.monotonic() + 10
        while not _reading_keys(sim.pid):
            assert time.monotonic() < deadline, "the key reader never waited for a key"
            time.sleep(0.01)
        sim.send_signal(signal.SIGINT)
        code = sim.wait(20)
        while select.select([master], [], [], 0.2)[0]:
            try:
                said += os.read(master, 4096)
            except OSError:
                break
        lflag = termios.tcgetattr(master)[3]
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait(5)
        os.close(master)
    text = said.decode(errors="replace")
    assert "Fatal Python error" not in text and "Traceback" not in text, text
    assert code == 0, text
    assert "sitwatch simulate: stopped" in text
    assert not link.exists()  # the link is taken away as on any other stop
    assert lflag & termios.ICANON and lflag & termios.ECHO  # the terminal's line mode is back
