"""The ``sitwatch`` command in a subprocess, as a user runs it, with a private home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def sitwatch_ok(*argv: str, home: Path) -> str:
    """``sitwatch ARGV --no-user-config`` with HOME and the XDG folders under ``home``; it must
    succeed without a traceback. Returns what it printed."""
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
           "XDG_DATA_HOME": str(home / "data"), "XDG_STATE_HOME": str(home / "state")}
    proc = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stdout
