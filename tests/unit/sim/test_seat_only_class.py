"""A class test for the seat-only posture rules that does not come from the recording they were
set on (fsr-cushion-9): simulated sitters of different weights, sensor gains and noise on
other seat-only devices (a 10x15 velostat-style matrix either way round, a 16x16 matrix, the
3x3 FSR cushion read inverted, four corner load cells), through the real pipeline with the
auto calibration a new user gets.

The simulator's half lying and perch (``Body.variant``) are physics written down, not fitted to
the recording: half lying slides the sit bones 0.12 of the seat's half-depth forward, puts a
little of the seat load on the sacrum at the rear midline and hands a little weight to the
backrest; a perch puts the sit bones on the front third and a good part of the weight on the
feet.
"""

from __future__ import annotations

import numpy as np
import pytest

from sitwatch import config
from sitwatch.sensing.layout import load
from sitwatch.sensing.pipeline import Pipeline
from sitwatch.sim.body import VARIANTS, Body
from sitwatch.sim.script import Script, Segment, away
from sitwatch.sim.simulator import Simulator

HZ = 4.0
DWELL = config.Config().detect.posture.dwell


def day(weight: float) -> Script:
    up = Body(weight=weight)
    return Script([
        away(20),
        Segment(150, up, "calibration"),  # the auto baseline is learned here
        Segment(120, Body(variant="perch", weight=weight), "perch"),
        Segment(90, up, "upright"),
        Segment(150, Body(variant="half_lying", weight=weight), "half lying"),
        Segment(60, up, "upright again"),
    ])


def replay(name: str, seed: int, weight: float, gain: float) -> tuple[Script, np.ndarray,
                                                                        np.ndarray]:
    lay = load(name)
    scr = day(weight)
    sim = Simulator(lay, scr, hz=HZ, seed=seed, gain_spread=gain)
    t = sim.times()
    frames = sim.frames_at(t)
    pl = Pipeline(lay, config.Config())
    post = np.empty(len(t), object)
    for i, (ti, v) in enumerate(zip(t, frames, strict=True)):
        pl.process(float(ti), v)
        post[i] = pl.snapshot(float(ti)).posture
    assert pl.calibrated == "auto"
    return scr, t, post


def during(scr: Script, t: np.ndarray, note: str) -> tuple[float, np.ndarray]:
    seg = next(s for s in scr.segments if s.note == note)
    return seg.start, (t >= seg.start) & (t < seg.end)


SITTERS = [(0, 75.0, 0.10), (1, 52.0, 0.20), (2, 110.0, 0.05)]


@pytest.mark.parametrize("name", ["grid:15x10", "grid:10x15", "matrix-16x16", "fsr-cushion-9"])
@pytest.mark.parametrize(("seed", "weight", "gain"), SITTERS)
def test_half_lying_found_and_a_perch_never_a_slump_on_seats_with_a_rear_midline(
    name, seed, weight, gain
) -> None:
    scr, t, post = replay(name, seed, weight, gain)
    start, m = during(scr, t, "half lying")
    slouched = t[m][post[m] == "slouched"]
    assert slouched.size and slouched[0] - start <= 30, (name, seed)
    assert (post[m] == "slouched").mean() > 0.8
    _, m = during(scr, t, "perch")
    assert not (post[m] == "slouched").any()
    assert (post[m] == "leaning_forward").mean() > 0.8  # "weight forward"
    start, m = during(scr, t, "upright")
    assert not (post[m] == "slouched").any()
    settled = m & (t >= start + DWELL + 1)
    assert (post[settled] == "upright").all()


@pytest.mark.parametrize(("seed", "weight", "gain"), SITTERS)
def test_four_corner_cells_miss_half_lying_and_say_nothing_wrong(seed, weight, gain) -> None:
    """No sensor on the rear midline: half lying reads upright (what ``sitwatch doctor`` says
    such a seat cannot see), and the perch is weight forward, not a slump."""
    scr, t, post = replay("load-cells-4", seed, weight, gain)
    _, m = during(scr, t, "half lying")
    assert not (post[m] == "slouched").any()
    _, m = during(scr, t, "perch")
    assert not (post[m] == "slouched").any()
    assert (post[m] == "leaning_forward").mean() > 0.8


def test_variants_set_their_posture_and_are_checked() -> None:
    assert set(VARIANTS) == {"half_lying", "perch"}
    assert Body(variant="half_lying").posture == "slouched"
    assert Body(variant="perch").posture == "leaning_forward"
    assert "perch" in Body(variant="perch").describe()
    with pytest.raises(ValueError, match="variant 'lounging'"):
        Body(variant="lounging")
