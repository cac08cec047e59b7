"""`sitwatch eval` scores every labelled recording in the folders it knows, whatever its name
(issue #10: the recordings kept aside, more chair people in free use, later webcam runs, will
be dropped in beside today's). It read fixed names only, so such a file was silently left out.
Through the real command, on a shared folder made of the real recordings plus a chair recording
under a non-scripted name, the webcam runs under another name and a broken CSV; no simulated
sitters and one scripted person, so it runs in minutes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.datasets

ROOT = Path(__file__).resolve().parents[2]


def test_eval_scores_a_free_use_chair_file_and_more_webcam_runs_and_names_a_broken_file(
    datasets_dir: Path, tmp_path: Path,
) -> None:
    ds = tmp_path / "datasets"
    chair, cam = ds / "smartchair-ml", ds / "webcam-landmarks"
    chair.mkdir(parents=True)
    cam.mkdir()
    (chair / "scripted_almir.csv").symlink_to(datasets_dir / "smartchair-ml/scripted_almir.csv")
    # a stand-in for free use by someone who is not one of the scripted people
    shutil.copy(datasets_dir / "smartchair-ml/scripted_vanessa.csv",
                chair / "free_use_vanessa.csv")
    (chair / "broken.csv").write_text("p00,p01\n12,oops\n", encoding="utf-8")
    (cam / "dev_runs_01-16.csv").symlink_to(datasets_dir / "webcam-landmarks/dev_runs_01-16.csv")
    shutil.copy(datasets_dir / "webcam-landmarks/dev_runs_01-16.csv", cam / "runs_17-30.csv")

    proc = subprocess.run(
        [sys.executable, "-m", "sitwatch", "eval", "--quick", "--markdown", "--sitters", "0",
         "--shared", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=1200,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)

    assert proc.returncode == 0, proc.stderr[-3000:]
    err, out = proc.stderr, proc.stdout
    assert "Traceback" not in err
    # stderr names every file read, and the broken one with why
    assert "sitwatch eval: reads smartchair-ml/scripted_almir.csv (scripted: almir" in err
    assert ("sitwatch eval: reads smartchair-ml/free_use_vanessa.csv (another recording, "
            "scored as its own rows; person \"vanessa\"") in err
    assert "sitwatch eval: skips smartchair-ml/broken.csv: unknown columns (no p02, p03" in err
    assert "sitwatch eval: reads webcam-landmarks/dev_runs_01-16.csv\n" in err
    assert "sitwatch eval: reads webcam-landmarks/runs_17-30.csv (its sessions are not known" \
        in err
    # the chair file has rows of its own, calibrated on its first upright minute
    rows = [line for line in out.splitlines()
            if line.startswith("| vanessa (free_use_vanessa) |")]
    assert [r.split("|")[2].strip() for r in rows] == [
        "defaults, profile", "defaults, auto", "naive stand-in, profile"], rows
    assert all("%" in r.split("|")[3] for r in rows)  # occupancy measured
    # ... and is not taken for a scripted person
    assert "## smartchair-ml (12 force sensors, 1 person, 2 Hz)" in out
    # the second webcam file takes part as the dev runs do, as one session
    dev = out.index("## webcam-landmarks (MediaPipe landmarks")
    other = out.index("## webcam-landmarks: runs_17-30.csv (MediaPipe landmarks")
    assert dev < other
    section = out[other:]
    assert "sessions: not known for this file, so its runs count as one session" in section
    assert "| run 1 (session 1, upright) | its own session: runs 2, 10, 11, 12" in section
    assert "upright vs head down, balanced accuracy (per sample)" in section


def test_a_chair_recording_with_no_upright_label_is_scored_auto_calibrated(
    datasets_dir: Path, tmp_path: Path,
) -> None:
    """A free-use recording need not label an upright minute: it is then scored as "auto" (the
    pipeline learns its own baseline), alone in its folder with no scripted people."""
    chair = tmp_path / "datasets" / "smartchair-ml"
    chair.mkdir(parents=True)
    lines = (datasets_dir / "smartchair-ml/scripted_almir.csv").read_text().splitlines()
    kept = [lines[0], *(x for x in lines[1:] if x.rsplit(",", 1)[1] not in ("1", "2"))]
    (chair / "free_use_zoe.csv").write_text("\n".join(kept) + "\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "sitwatch", "eval", "--quick", "--markdown", "--sitters", "0",
         "--shared", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "## smartchair-ml (12 force sensors, no scripted people, 2 Hz)" in proc.stdout
    rows = [line.split("|")[2].strip() for line in proc.stdout.splitlines()
            if line.startswith("| zoe (free_use_zoe) |")]
    assert rows == ["defaults, auto"]
