"""A load cell under the rear of the seat that sticks does not make a sideways lean (issue #10),
through the commands a user runs: `sitwatch calibrate --recording` on the first settled upright
minute and the empty start, then `sitwatch replay --json`, each in a subprocess.

The recording is simulated (four corner load cells, a heavy sitter sitting upright, the
rear-right cell stuck at one reading from minute 4): the sit bones' cue read it as a lean to
the left for the two minutes channel health takes to leave the cell out. Now the cue keeps quiet
as soon as the cell is suspected (tests/unit/sensing/test_rear_suspect.py checks the parts)."""

from __future__ import annotations

import json

from sitwatch.evaluation import scoring
from tests.helpers.cli import sitwatch_ok as sitwatch
from tests.helpers.seat_sim import stuck_sitter


def test_replay_of_a_stuck_rear_cell_reports_no_lean_and_names_the_cell(tmp_path) -> None:
    d = stuck_sitter()
    _, win = scoring.first_upright_profile(d)
    rec = d.write(tmp_path / "stuck.rec")
    cal = tmp_path / "cal.json"
    sitwatch("calibrate", "--recording", str(rec), "--empty", "2:28",
             "--upright", f"{win[0]}:{win[1]}", "-o", str(cal), home=tmp_path)
    out = sitwatch("replay", str(rec), "--calibration", str(cal), "--json", home=tmp_path)
    events = [json.loads(line) for line in out.splitlines()]
    assert events[-1]["event"] == "summary"
    sides = [e for e in events if e["event"] == "balance" and e["state"] in ("left", "right")]
    assert not sides, sides
    excluded = [e for e in events if e["event"] == "calibration" and e.get("excluded")]
    assert excluded and "rear-right (stuck)" in excluded[0]["excluded"]
