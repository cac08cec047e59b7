"""Recordings with nothing usable in them, and bad rates: `sitwatch
replay` summed up zeros and exited 0 without saying that no line could be read (where
`sitwatch calibrate` called the same file empty), `--hz -1` was taken, `--hz 0` answered "pass
--hz", and `calibrate --hz -2` spoke of a recording covering -3579.5--0 s."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _sitwatch(*argv: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local/share"), "XDG_RUNTIME_DIR": str(tmp_path / "run")}
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=60, env=env)


def test_a_recording_without_one_usable_line_is_an_error_that_counts_them(tmp_path) -> None:
    rec = tmp_path / "junk.rec"
    rec.write_text("# sitwatch-recording v1 layout=load-cells-4 hz=2\n" + "x,y,z\n" * 300)
    said = f"{rec}: the recording holds no frames: none of its 300 lines could be read"
    replay = _sitwatch("replay", str(rec), "--auto", tmp_path=tmp_path)
    assert replay.returncode == 2, replay.stderr
    assert said in replay.stderr
    assert "Time watched" not in replay.stdout  # no summary of zeros
    calibrate = _sitwatch("calibrate", "--recording", str(rec), "--upright", "1:3", "-o",
                          str(tmp_path / "cal.json"), tmp_path=tmp_path)
    assert calibrate.returncode == 2 and said in calibrate.stderr
    assert not (tmp_path / "cal.json").exists()


def test_an_empty_recording_is_the_same_error_in_replay_and_calibrate(tmp_path) -> None:
    rec = tmp_path / "empty.rec"
    rec.write_text("")
    flags = ("--layout", "load-cells-4", "--hz", "1")
    replay = _sitwatch("replay", str(rec), *flags, "--auto", "--json", tmp_path=tmp_path)
    calibrate = _sitwatch("calibrate", "--recording", str(rec), *flags, "--upright", "1:3",
                          "-o", str(tmp_path / "cal.json"), tmp_path=tmp_path)
    for proc in (replay, calibrate):
        assert proc.returncode == 2
        assert f"{rec}: the recording holds no frames" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert replay.stdout == ""


@pytest.mark.parametrize("hz", ["-1", "0", "-2", "nan", "fast"])
@pytest.mark.parametrize("command", ["replay", "calibrate", "simulate"])
def test_hz_must_be_above_zero(tmp_path, command: str, hz: str) -> None:
    rec = tmp_path / "r.rec"
    rec.write_text("1,2,3,4\n" * 10)
    argv = {"replay": ("replay", str(rec), "--layout", "load-cells-4"),
            "calibrate": ("calibrate", "--recording", str(rec), "--layout", "load-cells-4",
                          "--upright", "1:3", "-o", str(tmp_path / "cal.json")),
            "simulate": ("simulate", "-o", str(tmp_path / "sim.rec"))}[command]
    proc = _sitwatch(*argv, "--hz", hz, tmp_path=tmp_path)
    assert proc.returncode == 2
    assert f"argument --hz: '{hz}': give a number above 0" in proc.stderr
    assert not (tmp_path / "cal.json").exists() and not (tmp_path / "sim.rec").exists()


def test_a_number_too_large_for_a_float_is_a_dropped_line_not_a_traceback(tmp_path) -> None:
    """A line of whole numbers with one past a float's range (309+ digits: noise on the line)
    took the parser's quick path, where float(int()) raised OverflowError: `sitwatch replay`
    ended in a traceback, and the daemon reading it from a port would have too. It is dropped
    and counted as the same text is on the general path (read as infinite), and the rest
    replays."""
    rec = tmp_path / "noisy.rec"
    good = ",".join(["1000"] * 12) + "\n"
    rec.write_text("# sitwatch-recording v1 layout=smartchair-12 hz=10\n" + good * 50
                   + ",".join(["1000"] * 11 + ["9" * 400]) + "\n" + good * 50)
    replay = _sitwatch("replay", str(rec), "--auto", "--json", tmp_path=tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert "Traceback" not in replay.stderr
    assert '"frames": 100' in replay.stdout.splitlines()[-1]
