"""``sitwatch calibrate --recording FILE --upright A:B`` on a window that is partly not upright
sitting (issue #10's readers calibrate this way).

Before, a window holding an empty seat was taken whole, with at most a warning that the sitter
had moved sideways: on the simulator, ``--upright 20:35`` (two thirds of it an empty seat) saved
an "upright" of 544 counts against the sitter's 11886, ``--upright 18:90`` one of 11744, and
``--empty 0:40`` (10 s of it sat on) a tare of 72 counts against 23. Now the frames that read
as an empty seat (the daemon's occupancy rule) or, in --empty, as sat on (the guided session's
rule) are left out and said on stderr, so the profile is the one of the clean part; when too
little is left (the guided step's length: 10 s upright), calibrate refuses with exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATASETS
from tests.helpers.cli import scratch_env


def _run(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=300, env=env)


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The demo script's first two minutes, as `sitwatch simulate` records it: the seat is empty
    until 30 s (its truth lines say so), then somebody sits upright."""
    tmp = tmp_path_factory.mktemp("sim")
    env = scratch_env(tmp)
    rec = tmp / "sim.rec"
    made = _run("simulate", "--script", "demo", "--duration", "120", "-o", str(rec), env=env)
    assert made.returncode == 0, made.stderr
    truth = [line for line in rec.read_text().splitlines() if line.startswith("# truth")]
    assert truth[0].startswith("# truth t=0.000 present=0")
    assert truth[1].startswith("# truth t=30.000 present=1 posture=upright")
    return rec, env


def _calibrate(rec: Path, env: dict[str, str], out: Path, *ranges: str) -> tuple[int, str]:
    proc = _run("calibrate", "--recording", str(rec), *ranges, "-o", str(out), env=env)
    assert "Traceback" not in proc.stderr
    return proc.returncode, proc.stderr


def _profile(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_empty_seat_at_the_start_of_upright_is_left_out(sim, tmp_path) -> None:
    rec, env = sim
    code, said = _calibrate(rec, env, tmp_path / "whole.json", "--upright", "18:90")
    assert code == 0, said
    assert "left out 248 of 1440 frames of --upright 18:90: the seat read empty there " \
        "(18.0-30.4 s)" in said
    # the profile is that of the seated part alone, as from a window that holds only it
    code, clean_said = _calibrate(rec, env, tmp_path / "clean.json", "--upright", "30.4:90")
    assert code == 0 and "left out" not in clean_said
    whole, clean = _profile(tmp_path / "whole.json"), _profile(tmp_path / "clean.json")
    assert whole["upright"] == clean["upright"]
    assert whole["spread"] == clean["spread"]
    assert "moved sideways" not in said  # the empty frames are not taken for a restless sitter


def test_a_window_mostly_empty_is_refused(sim, tmp_path) -> None:
    rec, env = sim
    out = tmp_path / "p.json"
    code, said = _calibrate(rec, env, out, "--upright", "20:35")
    assert code == 2
    assert "--upright 20:35: the seat read empty there (20.0-30.4 s), and the rest holds only " \
        "4.6 s of sitting; a calibration takes at least 10 s of it" in said
    assert "nothing was calibrated" in said
    assert not out.exists()


def test_somebody_on_the_seat_in_the_empty_window_is_left_out(sim, tmp_path) -> None:
    rec, env = sim
    code, said = _calibrate(rec, env, tmp_path / "p.json", "--empty", "0:40", "--upright", "50:90")
    assert code == 0, said
    assert "frames of --empty 0:40: the seat carried somebody's load there (30.6-40.0 s)" in said
    code, _ = _calibrate(rec, env, tmp_path / "clean.json", "--empty", "0:29", "--upright",
                         "50:90")
    assert code == 0
    tare, clean = _profile(tmp_path / "p.json")["tare"], _profile(tmp_path / "clean.json")["tare"]
    assert sum(tare) == pytest.approx(sum(clean), abs=15)  # an empty seat's few counts


@pytest.mark.datasets
def test_real_recording_stand_up_gap_in_upright(tmp_path) -> None:
    """SmartChair-ML, vanessa: the seat is empty (pose 0) from 315 to 336.5 s, upright (pose 2)
    after; --upright 316:400 took the 20 s of empty seat into her upright."""
    csv = DATASETS / "smartchair-ml" / "scripted_vanessa.csv"
    if not csv.exists():
        pytest.skip(f"real recordings not found at {DATASETS}")
    env = scratch_env(tmp_path)
    code, said = _calibrate(csv, env, tmp_path / "p.json", "--upright", "316:400")
    assert code == 0, said
    assert "left out 40 of 168 frames of --upright 316:400: the seat read empty there " \
        "(316.0-335.5 s" in said
    assert "moved sideways" not in said
    code, _ = _calibrate(csv, env, tmp_path / "clean.json", "--upright", "340:400")
    assert code == 0
    got, clean = _profile(tmp_path / "p.json"), _profile(tmp_path / "clean.json")
    assert sum(got["upright"]) == pytest.approx(sum(clean["upright"]), rel=0.01)
