"""`sitwatch status` on a seat without backrest sensors: its leaning forward is the weight on
the front of the seat (a perch or a slump, which a seat cannot tell apart; leaning onto the
thighs it does not see), as the nudge and the reports call it. The status line said "posture
leaning forward". The real daemon on the simulator's fsr-cushion-9, steered by keys."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import scratch_env
from tests.helpers.virtual_cushion import Processes, press, start_steered, wait_status

pytestmark = pytest.mark.integration

LAYOUT = "fsr-cushion-9"


def _sitwatch(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "sitwatch", *argv, "--no-user-config"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done


def test_a_seat_alones_forward_lean_is_weight_forward_in_status(tmp_path: Path) -> None:
    env = scratch_env(tmp_path)
    # the daemon learns this sitter's upright by itself, after 10 s of it (not a minute)
    cfg = tmp_path / "c.toml"
    cfg.write_text("[calibration]\nauto_settle = 10.0\n")
    link = tmp_path / "cushion"
    status = tmp_path / "run" / "sitwatch" / "status.json"
    sim = start_steered(env, link, LAYOUT)
    try:
        with Processes(env) as procs:
            daemon = procs.start("run", "--no-user-config", "--config", str(cfg), "--headless",
                                 "--port", str(link), "--layout", LAYOUT)
            d = wait_status(status, lambda d: d.get("pid") == daemon.pid
                            and d.get("occupancy") == "empty")  # the empty seat: its tare
            assert d.get("occupancy") == "empty", d
            press(sim, "u")
            d = wait_status(status, lambda d: (d.get("calibration") or {}).get("method")
                            == "auto")
            assert (d.get("calibration") or {}).get("method") == "auto", d
            press(sim, "f")  # the weight onto the front of the seat
            d = wait_status(status, lambda d: d.get("posture") == "leaning_forward")
            assert d.get("posture") == "leaning_forward" and d.get("seat_only") is True, \
                {k: d.get(k) for k in ("posture", "seat_only", "calibration", "profile_file")}
            line = _sitwatch(env, "status").stdout.splitlines()[0]
    finally:
        if sim.poll() is None:
            os.killpg(sim.pid, signal.SIGTERM)
            sim.wait(10)
    assert "posture weight forward" in line and "leaning forward" not in line, line
