"""A drifting zero in the simulator: a linear sensor's reading drifts; a pad read through a
voltage divider drifts in its conductance, so once the divider's curve is undone its drift is the
same size under any load (issue #10's population: before, the drift was added to the reading
and, undone through the curve's flat part, read as tens of percent of a loaded pad's load)."""

from __future__ import annotations

import numpy as np

from sitwatch.sensing.layout import load
from sitwatch.sim.body import EMPTY, Body
from sitwatch.sim.script import Script, Segment
from sitwatch.sim.simulator import Simulator

SCRIPT = Script([Segment(30, EMPTY), Segment(4000, Body(fidget=0.0))])
RATE = 0.06  # of full scale an hour


def loads_at(layout: str, t: float, **kw: float) -> np.ndarray:
    lay = load(layout)
    sim = Simulator(lay, SCRIPT, hz=1, seed=4, noise=0.0, dynamics=False, **kw)
    return lay.to_load(sim.frames_at([t]).astype(float))[0]


def test_a_divider_pad_drifts_by_the_same_load_whether_loaded_or_not() -> None:
    lay = load("fsr-cushion-9")
    assert lay.divider == 0.1
    moved = loads_at("fsr-cushion-9", 3600.0, drift=RATE) - loads_at("fsr-cushion-9", 3600.0)
    # every pad, loaded or not, moves by at most the hour's drift as a load, give or take a
    # few counts of rounding through the curve (drifting in its reading: up to 144 counts)
    assert np.abs(moved).max() <= RATE * lay.full_scale + 3
    assert np.abs(moved).max() > 0.3 * RATE * lay.full_scale  # and it does drift


def test_a_linear_sensor_drifts_in_its_reading() -> None:
    lay = load("smartchair-12")
    moved = loads_at("smartchair-12", 3600.0, drift=RATE) - loads_at("smartchair-12", 3600.0)
    assert np.abs(moved).max() <= RATE * lay.full_scale + 1
    assert np.abs(moved).max() > 0.3 * RATE * lay.full_scale
