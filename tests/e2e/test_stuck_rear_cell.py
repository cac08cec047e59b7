"""A load cell under the rear of the seat that sticks does not make a sideways lean (issue #10),
through the commands a user runs: `sitwatch calibrate --recording` on the first settled upright
minute and the empty start, then `sitwatch replay --json`, each in a subprocess.

The recording is simulated (four corner load cells, a heavy sitter sitting upright, the
rear-right cell stuck at one reading from minute 4): the sit bones' cue read it as a lean to
the left for the two minutes channel health takes to leave the cell out. Now the cue keeps quiet
as soon as the cell is suspected (tests/unit/sensing/test_rear_suspect.py checks the parts)."""

from __future__ import annotations

from tests.helpers.cli import calibrated_replay
from tests.helpers.seat_sim import stuck_sitter


def test_replay_of_a_stuck_rear_cell_reports_no_lean_and_names_the_cell(tmp_path) -> None:
    d = stuck_sitter()
    assert d.segments()[0][:2] == (0, 0.0)  # an empty seat first, for the tare
    events = calibrated_replay(d, tmp_path)
    sides = [e for e in events if e["event"] == "balance" and e["state"] in ("left", "right")]
    assert not sides, sides
    excluded = [e for e in events if e["event"] == "calibration" and e.get("excluded")]
    assert excluded and "rear-right (stuck)" in excluded[0]["excluded"]
