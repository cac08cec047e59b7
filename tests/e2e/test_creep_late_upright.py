"""A long session on a creeping FSR chair, through the real commands (issue #10): a sitter who
sits upright clear of the backrest, whose pads creep (their reading rising under the same load)
and who sat down again a little (0.11 seat half-depths, a few centimetres) further forward after
a short break. `sitwatch calibrate --recording` on the first upright minute, then `sitwatch
replay --calibration --json` in a subprocess: the late half-hour of upright sitting must read
upright, while the forward lean and the slump earlier in the session are still reported.

Before the fix the late stretch read leaning forward 99% of the time: the forward move was
measured from the calibrated upright, taken against the backrest, so the away upright's own
forward offset and the resettle added up past ``forward_shift``; settled sitting away from the
backrest was never followed either. (Creep alone does not tip it: it rises on every loaded pad
alike and the rule reads shares.)"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sitwatch.evaluation import population as P
from sitwatch.evaluation import scoring
from tests.helpers.cli import sitwatch_ok

SITTER = P.Sitter(
    index=9001, layout="smartchair-12", inverted=False, weight=86.0, size=0.97,
    calibration_backrest=0.8, away=True, slump=0.9, lean=0.6, direct=False, fidget=0.3,
    gain_spread=0.1, noise=1.0, drift=0.0, stuck=False, offset=0.0, perch=False,
    creep=0.04, resettle=0.11,
)


def test_a_late_upright_stretch_on_a_creeping_chair_reads_upright(tmp_path: Path) -> None:
    d = P.recording(SITTER)
    rec = d.write(tmp_path / "creep.rec")
    _, (a, b) = scoring.first_upright_profile(d)
    empty = d.segments()[0]
    cal = tmp_path / "cal.json"
    lay = ("--layout", "smartchair-12")
    sitwatch_ok("calibrate", *lay, "--recording", str(rec), "--upright", f"{a:g}:{b:g}",
                "--empty", f"{empty[1] + 2:g}:{empty[2] - 2:g}", "-o", str(cal), home=tmp_path)
    out = sitwatch_ok("replay", *lay, str(rec), "--calibration", str(cal), "--json",
                      home=tmp_path)
    evs = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    post = [e for e in evs if e.get("event") == "posture"]
    assert post, "no posture events"
    times = np.array([e["t"] for e in post])
    idx = np.searchsorted(times, d.t, side="right") - 1
    state = np.array([post[k]["state"] if k >= 0 else None for k in idx], dtype=object)
    late = d.t >= d.t[-1] - P.LATE_S + 30
    fwd = float((state[late] == "leaning_forward").mean())
    assert fwd < 0.03, f"the late upright stretch read leaning forward {fwd:.0%} of the time"
    assert (state[late] == "upright").mean() > 0.97
    # the real postures earlier in the session are still found
    for code, want in ((P.FORWARD, "leaning_forward"), (P.SLUMP, "slouched")):
        seg = d.label == code
        assert (state[seg] == want).mean() > 0.7, f"{want} missed"
