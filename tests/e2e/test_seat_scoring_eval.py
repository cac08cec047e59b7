"""`sitwatch eval` on fsr-cushion-9 alone, through the real command (issue #10): the seat-only
slump rows score what the user gets, and session 2's half lying is found held out.

- Session 2's half lying is found with the half-lying cues set from session 1 alone (the "loso,
  half-lying cues" row): the cue is the sit bones' share of the rear of the seat, which carries
  over between the two sittings where the rear row's share did not.
- Session 2's only scored upright time used to be the 9 s right after half lying, in which the
  detector confirms the sitter sat up: "false slouch 100%". That is the slump's release, now
  left out of the false alarms and reported on its own ("cleared after").
- The strict figure (read as slouched) stays beside the user-facing one.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.datasets

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report(datasets_dir, tmp_path_factory) -> str:
    shared = tmp_path_factory.mktemp("shared")
    (shared / "datasets").mkdir()
    (shared / "datasets" / "fsr-cushion-9").symlink_to(datasets_dir / "fsr-cushion-9")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "sitwatch", "eval", "--quick", "--sitters", "0", "--markdown",
         "--shared", str(shared), "--no-user-config"],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    return proc.stdout


def rows(text: str, first_header: str) -> tuple[list[str], list[list[str]]]:
    lines = text.splitlines()
    start = next(i for i, x in enumerate(lines) if x.startswith(f"| {first_header} |"))
    head = [c.strip() for c in lines[start].strip("|").split("|")]
    out = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        out.append([c.strip() for c in line.strip("|").split("|")])
    return head, out


def cell(head: list[str], row: list[str], name: str) -> str:
    return row[head.index(name)]


def test_session_2s_half_lying_is_found_with_cues_from_session_1(report) -> None:
    head, table = rows(report, "session")
    held = next(r for r in table if r[0] == "session2"
                and r[1].startswith("loso, half-lying cues from session1"))
    assert cell(head, held, "slump (half lying) found (sit-back nudge)") == "100.0%"
    assert cell(head, held, "read as slouched (strict)") == "100.0%"  # found as a slump
    assert float(cell(head, held, "latency").rstrip("s")) <= 30
    assert cell(head, held, "perch read as slouched") == "0.0%"
    other = next(r for r in table if r[0] == "session1"
                 and r[1].startswith("loso, half-lying cues from session2"))
    assert cell(head, other, "slump (half lying) found (sit-back nudge)") == "100.0%"


def test_the_release_after_half_lying_is_no_false_slouch(report) -> None:
    head, table = rows(report, "session")
    for r in table:
        if r[0] == "session2" and "naive" not in r[1]:
            # no upright time of session 2 is left outside the calibration minute and the
            # release after half lying: no figure, rather than 100% of 9 s
            assert cell(head, r, "false sit-back") in ("-", "0.0%"), r
            assert cell(head, r, "false slouched (strict)") in ("-", "0.0%"), r
        if "defaults" in r[1] or "half-lying cues" in r[1]:
            cleared = cell(head, r, "cleared after")
            assert cleared.endswith("s") and float(cleared.rstrip("s")) <= 15, r


def test_the_summary_meets_the_slump_targets_on_the_held_out_fsr_rows(report) -> None:
    _, summary = rows(report, "target")
    fsr = {r[0]: r for r in summary if r[1].startswith("fsr-cushion-9")}
    slump = fsr["every slump found within 30 s"]
    assert slump[3] == "yes", slump
    assert "session2 (cues) 100.0%" in slump[2]  # the half-lying cues from session 1
    false = fsr["false slouch < 3% of upright time"]
    assert false[3] == "yes" and "100.0%" not in false[2], false
    # the naive stand-in, scored by the same rule, misses both half lyings
    assert slump[5] == "**no**" and "session2 0.0%" in slump[4]
