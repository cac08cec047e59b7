"""`sitwatch record` when there is nothing to record: a port that does not exist said "recorded
0 frames", exited 0 and left a file holding a header only; `--duration -5` was taken."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
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


def test_a_recording_into_a_folder_not_yet_made_makes_it_owner_only(tmp_path, serial_pty) -> None:
    """`-o sessions/monday.rec` ended in "No such file or directory" when sessions/ did not
    exist, though `report` and `export` make their folders (and `record --help` says nothing
    of it). The folder is made, owner-only, as the recording is."""
    master, port = serial_pty
    stop = threading.Event()

    def send() -> None:  # the cushion's own pace
        while not stop.wait(0.05):
            os.write(master, b",".join([b"900"] * 12) + b"\n")

    device = threading.Thread(target=send, daemon=True)
    device.start()
    old = os.umask(0o022)
    try:
        proc = _record("--port", port, "-o", "sessions/monday.rec", "--duration", "1",
                       cwd=tmp_path)
    finally:
        os.umask(old)
        stop.set()
        device.join(5)
    assert proc.returncode == 0, proc.stderr
    rec = tmp_path / "sessions" / "monday.rec"
    assert "recorded" in proc.stderr and rec.stat().st_size > 0, proc.stderr
    assert rec.parent.stat().st_mode & 0o777 == 0o700
    assert rec.stat().st_mode & 0o777 == 0o600
