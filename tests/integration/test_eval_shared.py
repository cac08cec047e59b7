"""`sitwatch eval` says which datasets it reads and which it does not find, on stderr, and a
--shared that names no folder (a typo) is a usage error. It used to exit 0 after measuring
only the simulated sitters, with one line at the foot of a long report as the only clue.
Through the real command, with no simulated sitters (seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

LOOKED_FOR = ("smartchair-ml, ethz-wheelchair, technion-smart-chair, fsr-cushion-9, "
              "webcam-landmarks")


def sitwatch_eval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sitwatch", "eval", "--quick", "--sitters", "0",
         "--no-user-config", *args], capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k != "SITWATCH_SHARED"})


def test_a_mistyped_shared_folder_is_a_usage_error_that_names_it(tmp_path: Path) -> None:
    typo = tmp_path / "shraed"
    proc = sitwatch_eval("--shared", str(typo))
    assert proc.returncode == 2
    assert proc.stderr == (f"sitwatch eval: --shared {typo}: no such folder; give the folder "
                           "that holds datasets/ (--shared FOLDER, or SITWATCH_SHARED)\n")
    assert proc.stdout == ""  # no report of simulated sitters passed off as the evaluation


def test_a_mistyped_sitwatch_shared_is_named_too(tmp_path: Path) -> None:
    typo = tmp_path / "nowhere"
    proc = subprocess.run(
        [sys.executable, "-m", "sitwatch", "eval", "--quick", "--sitters", "0",
         "--no-user-config"], capture_output=True, text=True, timeout=300,
        env={**os.environ, "SITWATCH_SHARED": str(typo)})
    assert proc.returncode == 2
    assert f"SITWATCH_SHARED={typo}: no such folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_datasets_folder_itself_is_pointed_one_up(tmp_path: Path) -> None:
    ds = tmp_path / "shared" / "datasets"
    (ds / "fsr-cushion-9").mkdir(parents=True)
    proc = sitwatch_eval("--shared", str(ds))
    assert proc.returncode == 2
    assert (f"--shared {ds}: that is the datasets folder itself; give the folder above it: "
            f"--shared {tmp_path / 'shared'}") in proc.stderr


def test_a_folder_without_datasets_says_so_first(tmp_path: Path) -> None:
    (tmp_path / "datasets").mkdir()
    proc = sitwatch_eval("--shared", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    first = proc.stderr.splitlines()[0]
    assert first == (f"sitwatch eval: no datasets in {tmp_path / 'datasets'} (it looks for "
                     f"{LOOKED_FOR}), so nothing is measured; give the folder that holds "
                     "datasets/ (--shared FOLDER, or SITWATCH_SHARED)")
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = sitwatch_eval("--shared", str(empty), "--sitters", "1")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith(f"sitwatch eval: no datasets/ folder in {empty} (it looks "
                                  f"for {LOOKED_FOR}), so only simulated sitters are measured")


def test_the_datasets_found_and_not_found_are_named(tmp_path: Path, datasets_dir: Path) -> None:
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "technion-smart-chair").symlink_to(
        datasets_dir / "technion-smart-chair")
    proc = sitwatch_eval("--shared", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == (
        f"sitwatch eval: datasets in {tmp_path / 'datasets'}: technion-smart-chair; not there: "
        "smartchair-ml, ethz-wheelchair, fsr-cushion-9, webcam-landmarks")
    assert "\ntechnion-smart-chair (5 sensors, 1 person," in proc.stdout
