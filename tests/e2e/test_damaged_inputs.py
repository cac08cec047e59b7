"""Damaged files through the real commands (issue #15, parsers row): a clear message naming the
file and the line, the right exit code, never a traceback; a damaged calibration profile is set
aside and `sitwatch run` goes on learning a new one."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

_LM = [[0.5, 0.4, -0.1, 0.99]] * 33


def _env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    return {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share"),
            "XDG_STATE_HOME": str(home / ".local/state"), "XDG_RUNTIME_DIR": str(tmp_path / "run")}


def _sitwatch(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv], capture_output=True,
                          text=True, timeout=120, env=_env(tmp_path))


@pytest.mark.parametrize("bad, says", [
    (b'{"t": 9, "landmarks": null, "label": {}}\n', ':87: "label" is not a number'),
    (b'{"t": 9, "landmarks": null, "aspect": "wide"}\n', ':87: "aspect" is not a number'),
    (b'{"t": 9, "landmarks": null, "label": Infinity}\n', ':87: "label" = inf is not a finite'),
    (b"\xff\xfe\x00\x01 damaged\n", ":87: not UTF-8 text"),
])
def test_replay_of_a_damaged_landmark_file(tmp_path: Path, bad: bytes, says: str) -> None:
    path = tmp_path / "poses.jsonl"
    good = b"".join(json.dumps({"t": i * 0.1, "landmarks": _LM}).encode() + b"\n"
                    for i in range(86))
    path.write_bytes(good + bad)
    proc = _sitwatch(tmp_path, "replay", str(path), "--no-user-config")
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert f"{path}{says}" in proc.stderr


def _wait_for(proc: subprocess.Popen[bytes], text: str, timeout: float = 60.0) -> str:
    """stderr of ``proc`` up to the line holding ``text`` (waiting on output, not on time)."""
    assert proc.stderr is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while text.encode() not in seen:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([proc.stderr], [], [], max(0.0, left))
        if not ready:
            raise AssertionError(f"no {text!r} within {timeout} s; stderr so far:\n"
                                 + seen.decode(errors="replace"))
        chunk = os.read(proc.stderr.fileno(), 65536)
        if not chunk:
            raise AssertionError(f"sitwatch ended (exit {proc.wait()}) before saying {text!r}:\n"
                                 + seen.decode(errors="replace"))
        seen += chunk
    return seen.decode(errors="replace")


def test_run_sets_a_damaged_profile_aside_and_keeps_watching(tmp_path: Path) -> None:
    """Random bytes in the saved profile (as SD-card damage leaves it) used to stop `sitwatch
    run` (a traceback, then exit 2 with a message): systemd restarts it into the same wall."""
    env = _env(tmp_path)
    data = Path(env["XDG_DATA_HOME"]) / "sitwatch"
    data.mkdir(parents=True)
    profile = data / "calibration-smartchair-12.json"
    junk = bytes(range(256)) * 4 + b'{"version": 1, "layout": "smartch'
    profile.write_bytes(junk)
    master, slave = os.openpty()
    port = os.ttyname(slave)
    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--no-user-config",
                             "--headless", "--port", port, "--layout", "smartchair-12"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    try:
        said = _wait_for(proc, "learns a new one")
        # running: its status file appears (signal handlers are in place by then)
        deadline = time.monotonic() + 60
        while not list((tmp_path / "run").rglob("status.json")):
            assert proc.poll() is None, "sitwatch stopped instead of learning a new profile"
            assert time.monotonic() < deadline, "no status file within 60 s"
            select.select([], [], [], 0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        os.close(master)
        os.close(slave)
    assert "Traceback" not in said
    assert code == 0
    kept = [p for p in data.iterdir() if p.name.startswith(profile.name + ".damaged-")]
    assert len(kept) == 1 and kept[0].read_bytes() == junk  # kept, byte for byte
    assert not profile.exists()
    assert f"calibration profile {profile} is damaged" in said
    assert f"kept it as {kept[0]}" in said


def test_run_with_a_damaged_profile_named_on_the_command_line_refuses(tmp_path: Path) -> None:
    """--calibration FILE is the user's own choice: it is not moved, the message says why."""
    cal = tmp_path / "mine.json"
    cal.write_bytes(b"\x00\xff garbage")
    proc = _sitwatch(tmp_path, "run", "--no-user-config", "--port", str(tmp_path / "none"),
                     "--layout", "smartchair-12", "--calibration", str(cal))
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2
    assert f"{cal}: not a calibration file" in proc.stderr
    assert cal.read_bytes() == b"\x00\xff garbage"


def test_camera_calibration_from_a_damaged_landmark_file(tmp_path: Path) -> None:
    path = tmp_path / "poses.jsonl"
    path.write_text(json.dumps({"t": 0, "landmarks": _LM}) + "\n"
                    + json.dumps({"t": 1, "landmarks": _LM, "aspect": "wide"}) + "\n")
    proc = _sitwatch(tmp_path, "calibrate", "camera", "--recording", str(path), "--upright",
                     "0:5", "--no-user-config")
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert f'{path}:2: "aspect" is not a number' in proc.stderr


@pytest.mark.parametrize("value", ['"high"', "[4095]", "{ max = 4095 }"])
def test_a_layout_with_a_full_scale_that_is_not_a_number(tmp_path: Path, value: str) -> None:
    path = tmp_path / "chair.toml"
    path.write_text(f'name = "chair"\nfull_scale = {value}\n[[channels]]\nsurface = "seat"\n'
                    "x = 0\ny = 0\n")
    proc = _sitwatch(tmp_path, "layouts", str(path), "--no-user-config")
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 2, proc.stderr
    assert f"{path}: full_scale = " in proc.stderr and "must be a number" in proc.stderr
