"""`sitwatch record` when there is nothing to record: a port that does not exist said "recorded
0 frames", exited 0 and left a file holding a header only; `--duration -5` was taken."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _record(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(cwd), "XDG_RUNTIME_DIR": str(cwd / "run")}
    return subprocess.run([sys.executable, "-m", "sitwatch", "record", "--layout",
                           "smartchair-12", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=60, env=env, cwd=cwd)


def test_a_port_that_does_not_exist_is_an_error_and_leaves_no_file(tmp_path) -> None:
    proc = _record("--port", "/dev/ttyNOPE", "-o", "rec4.rec", "--duration", "3", cwd=tmp_path)
    assert proc.returncode == 1
    assert "--port /dev/ttyNOPE: no such device: is the cushion plugged in?" in proc.stderr
    assert "recorded 0 frames" not in proc.stderr
    assert not (tmp_path / "rec4.rec").exists()


@pytest.mark.parametrize("duration", ["-5", "0"])
def test_a_duration_must_be_above_zero(tmp_path, duration: str) -> None:
    proc = _record("--port", "/dev/ttyNOPE", "-o", "r.rec", "--duration", duration,
                   cwd=tmp_path)
    assert proc.returncode == 2
    assert f"argument --duration: '{duration}': give a number above 0" in proc.stderr
    assert not (tmp_path / "r.rec").exists()


def test_a_device_that_sends_nothing_leaves_no_empty_recording(tmp_path, serial_pty) -> None:
    """A real pty that stays silent for the whole (short) recording."""
    _, port = serial_pty
    proc = _record("--port", port, "-o", "quiet.rec", "--duration", "0.3", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert f"no frames came from {port}: nothing recorded" in proc.stderr
    assert not (tmp_path / "quiet.rec").exists()
