"""Four load cells under a seat plate report a sideways lean and a gentle slump (issue #10),
through the commands a user runs: `sitwatch calibrate --recording` on the empty start and the
first upright minute, then `sitwatch replay --json`, each in a subprocess.

The recording is simulated on the shipped `load-cells-4` layout: a lean of 0.45 moves the
plate's centre only 0.17 of the way to the cells, and a gentle slump (the pelvis slid forward,
the weight kept on the seat) leaves the rear pair most of its share. Measured on the cells' own
span, neither was reported; the layout's [plate] table measures them on the body's span."""

from __future__ import annotations

from tests.helpers.cli import calibrated_replay
from tests.helpers.seat_sim import plate_sitter


def test_replay_on_corner_load_cells_reports_the_lean_and_the_slump(tmp_path) -> None:
    d = plate_sitter()
    assert d.segments()[0][:2] == (0, 0.0)  # an empty seat first, for the tare
    events = calibrated_replay(d, tmp_path)
    seg = {code: (a, b) for code, a, b in d.segments() if code in (4, 7)}

    def during(event: str, state: str, code: int) -> list[float]:
        a, b = seg[code]
        return [e["t"] for e in events
                if e["event"] == event and e["state"] == state and a <= e["t"] <= b]

    # the lean to the left, within 30 s of its start, and no lean anywhere else
    left = during("balance", "left", 4)
    assert left and left[0] <= seg[4][0] + 30, left
    sides = [e for e in events if e["event"] == "balance" and e["state"] in ("left", "right")]
    assert len(sides) == 1, sides
    # the slump, as a slump, within 30 s of its start; nothing else reads slouched
    slumped = during("posture", "slouched", 7)
    assert slumped and slumped[0] <= seg[7][0] + 30, slumped
    slouched = [e for e in events if e["event"] == "posture" and e["state"] == "slouched"]
    assert len(slouched) == 1, slouched
