"""Ctrl-C during `sitwatch demo --history FILE`: it left a partial history without a word
(exit 130), so the user could not tell whether FILE held a whole day, part of one or nothing.
Now it says on stderr what was kept, never with a traceback."""

from __future__ import annotations

import os
import selectors
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.cli import scratch_env

pytestmark = pytest.mark.integration


def _interrupt_after_first_event(argv: list[str], env: dict[str, str]
                                 ) -> tuple[int, str, str]:
    """Start `sitwatch demo ARGV --plain`, press Ctrl-C (SIGINT) once it has printed an event
    line ("08:31  ..."): (exit code, stdout, stderr)."""
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "demo", *argv, "--plain",
                             "--no-user-config"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    seen, deadline = b"", time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if sel.select(timeout=0.2):
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                seen += chunk
                if any(line[:2].isdigit() and line[2:3] == b":" for line in seen.splitlines()):
                    break
        assert proc.poll() is None, "the demo ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, (seen + out).decode(), err.decode()


def test_ctrl_c_says_what_the_history_keeps(tmp_path: Path) -> None:
    env = scratch_env(tmp_path)
    db = tmp_path / "demo.sqlite"
    code, _out, err = _interrupt_after_first_event(["--history", str(db), "--speed", "60"], env)
    assert code == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert f"stopped: {db} keeps the simulated time up to " in err, err
    assert "delete the file to start afresh" in err
    # what it says is kept is there, readable: the run was closed, not cut off
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM events").fetchone()[0] > 0


def test_ctrl_c_without_a_history_file_says_nothing_was_kept(tmp_path: Path) -> None:
    env = scratch_env(tmp_path)
    code, _out, err = _interrupt_after_first_event(["--speed", "60"], env)
    assert code == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "stopped: nothing was kept" in err, err
