"""A working day of free use, as a user meets it: six orders of a scripted session played back to
back (sitwatch.evaluation.reorder.working_day, about 5 hours), `sitwatch calibrate --recording`
on its first upright minute, then `sitwatch replay --json` in a subprocess.

Issue #10's held-out class (sitwatch.evaluation.variants.away_sitter) sits upright clear of the
backrest with the seat's centre 0.26 to one side of the calibration, and leans forward with the
elbows on the thighs straight above it: the seat's load and centre as in the calibration, as
still as an upright. Two working days failed it:

- from order 4 the lean comes first, and its two settled minutes were learned as the upright
  clear of the backrest. Every later hour read lopsided 55-64% of the upright time, the real
  upright measured from the lean. A second way of sitting clear of the backrest is now learned
  beside the first;
- from order 16 no upright clear of the backrest was learned in the four learning hours (its
  pieces of 40-150 s rarely held a minute after the minute of settled balance asked first), and
  hours 5 and 6 read lopsided 34% and 62%. Twenty seconds of it are asked now."""

from __future__ import annotations

import numpy as np
import pytest

from sitwatch.evaluation import datasets, reorder, scoring, variants
from tests.e2e.test_free_use_orders import states_at
from tests.helpers.cli import calibrated_replay

pytestmark = pytest.mark.datasets

HOUR = 3600.0


@pytest.mark.parametrize("start", [4, 16])
def test_the_held_out_class_reads_even_all_day(datasets_dir, tmp_path, start) -> None:
    d = reorder.working_day(variants.away_sitter(datasets.smartchair(
        datasets_dir / "smartchair-ml" / "scripted_vanessa.csv")), start)
    assert d.t[-1] > 5 * HOUR
    events = calibrated_replay(d, tmp_path)
    _, win = scoring.first_upright_profile(d)
    upright = np.isin(d.label, (1, 2)) & scoring.scored(d, win)  # as sitwatch eval scores
    bal = states_at(events, "balance", d.t)
    lop = np.isin(bal, ("left", "right"))
    hourly = [float(lop[upright & (d.t // HOUR == h)].mean()) for h in range(5)]
    print("false lopsided by hour:", [round(h, 3) for h in hourly])
    assert max(hourly) < 0.03, hourly
    # what is lopsided still reads so: one leg crossed over the other, in every piece
    for lab, a, b in d.segments():
        if lab == 9:
            m = (d.t >= a) & (d.t < b)
            assert lop[m].mean() > 0.5, (a, b)
