"""`sitwatch eval` reports the held-out simulated population, and `--seed` draws another.

The population the evaluation used to report (seed 10) is the one the detectors were developed
on: its sitters were looked at one by one and several defaults were set after them, so its
figures are not held-out figures. The report now draws a population nobody tuned on by default
and says which one it drew, in its heading and on the held-out summary's rows. Through the real
command, on a shared folder without recordings and a handful of sitters (seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sitwatch.evaluation import population

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def sitwatch_eval(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    shared = tmp_path / "shared"
    (shared / "datasets").mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "sitwatch", "eval", "--quick", "--sitters", "2",
         "--shared", str(shared), "--no-user-config", *args],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
        timeout=600, check=False)


def test_the_report_draws_the_held_out_population_unless_told(tmp_path) -> None:
    held = sitwatch_eval(tmp_path)
    assert held.returncode == 0 and "Traceback" not in held.stderr, held.stderr[-2000:]
    assert (f"Simulated population (2 sitters, seed {population.HELD_OUT_SEED}, held out: "
            "drawn after the detectors were built; not real people)") in held.stdout
    assert f"5 devices, seed {population.HELD_OUT_SEED}; not real people" in held.stdout
    dev = sitwatch_eval(tmp_path, "--seed", str(population.SEED))
    assert dev.returncode == 0, dev.stderr[-2000:]
    assert f"seed {population.SEED}, the one developed on;" in dev.stdout
    assert f"seed {population.SEED}, not the held-out one; not real people" in dev.stdout
    # different sitters: the first two of each population are not the same people
    assert population.sitter(0) != population.sitter(0, population.HELD_OUT_SEED)


def test_a_negative_seed_is_a_usage_error(tmp_path) -> None:
    proc = sitwatch_eval(tmp_path, "--seed", "-3")
    assert proc.returncode == 2
    assert "--seed -3: give 0 or more" in proc.stderr and "Traceback" not in proc.stderr
