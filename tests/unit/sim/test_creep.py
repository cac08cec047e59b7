"""Creep and hysteresis of pressure pads in the simulator, and a sitter who sits down again a
little further forward (issue #10's slow change over a session)."""

from __future__ import annotations

import numpy as np
import pytest

from sitwatch.sensing.layout import grid
from sitwatch.sim.body import EMPTY, Body, PressureModel
from sitwatch.sim.script import Script, Segment
from sitwatch.sim.simulator import Simulator

LAYOUT = "smartchair-12"


def still(body: Body) -> Body:
    return Body(weight=body.weight, backrest=body.backrest, fidget=0.0, posture=body.posture)


def mean_load(sim: Simulator, t0: float, t1: float) -> np.ndarray:
    t = sim.times(t0, t1)
    return sim.frames_at(t).astype(float).mean(axis=0)


def test_no_creep_leaves_a_plain_simulation_alone() -> None:
    script = Script([Segment(30, EMPTY), Segment(600, still(Body()))])
    plain = Simulator(LAYOUT, script, hz=1, seed=3)
    same = Simulator(LAYOUT, script, hz=1, seed=3, creep=0.0)
    t = plain.times()
    assert (plain.frames_at(t) == same.frames_at(t)).all()
    with pytest.raises(ValueError, match="creep"):
        Simulator(LAYOUT, script, creep=-0.1)


def test_a_constant_load_reads_more_and_more_by_about_the_rate_a_decade() -> None:
    rate = 0.05
    script = Script([Segment(30, EMPTY), Segment(3600, still(Body()))])
    sim = Simulator(LAYOUT, script, hz=1, seed=3, creep=rate, noise=0.0, dynamics=False)
    plain = Simulator(LAYOUT, script, hz=1, seed=3, noise=0.0, dynamics=False)
    seat = np.flatnonzero(sim.layout.seat_mask)
    at = {s: sim.frame_at(30.0 + s)[seat].astype(float) / plain.frame_at(30.0 + s)[seat]
          for s in (10, 100, 1000, 3000)}
    busy = plain.frame_at(100.0)[seat] > 0.2 * sim.layout.full_scale  # clear of the dead zone
    gain = {s: float(np.median(v[busy])) for s, v in at.items()}
    # it keeps rising over the hour, about ``rate`` a decade of time (log time, as datasheets)
    assert gain[10] < gain[100] < gain[1000] < gain[3000]
    for a, b in ((10, 100), (100, 1000)):
        assert 0.5 * rate < gain[b] - gain[a] < 1.5 * rate
    # in proportion to each pad's load: a constant share on every loaded pad
    assert np.ptp(at[1000][busy]) < 0.02


def test_unloading_reads_higher_than_loading_and_an_empty_seat_reads_nothing() -> None:
    """Hysteresis: pads that carried a slump's load for minutes, then less, keep their crept
    share; the same pads loaded fresh read less."""
    heavy, light = Body(weight=110.0, fidget=0.0), Body(weight=70.0, fidget=0.0)
    first = Script([Segment(30, EMPTY), Segment(900, heavy), Segment(300, light)])
    fresh = Script([Segment(930, EMPTY), Segment(300, light)])
    kw = {"hz": 1, "seed": 3, "creep": 0.06, "noise": 0.0, "dynamics": False}
    a, b = Simulator(LAYOUT, first, **kw), Simulator(LAYOUT, fresh, **kw)
    seat = a.layout.seat_mask
    down = mean_load(a, 935, 965)[seat].sum()
    up = mean_load(b, 935, 965)[seat].sum()
    assert down > 1.03 * up
    gone = Script([Segment(30, EMPTY), Segment(900, heavy), Segment(60, EMPTY)])
    c = Simulator(LAYOUT, gone, **kw)
    empty = Simulator(LAYOUT, Script([Segment(990, EMPTY)]), **kw)
    assert (c.frame_at(935.0) == empty.frame_at(935.0)).all()  # the contact opens at once


def test_a_creeping_frame_is_the_same_alone_or_in_a_batch() -> None:
    script = Script([Segment(30, EMPTY), Segment(200, Body()), Segment(40, EMPTY),
                     Segment(300, Body(posture="slouched"))])
    sim = Simulator(LAYOUT, script, hz=2, seed=5, creep=0.08)
    t = sim.times()
    batch = sim.frames_at(t)
    for k in (0, 100, 455, len(t) - 1):
        assert (sim.frame_at(float(t[k])) == batch[k]).all()


def test_sitting_down_further_forward_moves_the_centre_of_pressure_forward() -> None:
    m = PressureModel(grid(10, 15))
    _, y0 = m.seat_force(Body())[1:]
    _, y1 = m.seat_force(Body(shift=0.1))[1:]
    _, y2 = m.seat_force(Body(shift=-0.1))[1:]
    assert y2 < y0 - 0.03 and y1 > y0 + 0.03
    with pytest.raises(ValueError, match="shift"):
        Body(shift=0.5)


def test_pads_read_through_a_divider_flatten_under_load_and_the_layout_says_so() -> None:
    """``divider``: the pads' reading follows their conductance through a voltage divider:
    steep under a light load, flat under a heavy one. By default the layout's own figure."""
    from dataclasses import replace

    from sitwatch.sensing.layout import load

    lay = replace(load("fsr-cushion-9"), divider=0.0)  # as if its pads were read linearly
    script = Script([Segment(30, EMPTY), Segment(120, still(Body()))])
    plain = Simulator(lay, script, hz=1, seed=3, noise=0.0)
    pads = Simulator(lay, script, hz=1, seed=3, noise=0.0, divider=0.1)
    light, heavy = np.array([0.02, 0.8]) * lay.full_scale
    lin = plain._response(np.array([light, heavy]))
    div = pads._response(np.array([light, heavy]))
    assert lin.tolist() == [light, heavy]
    assert div[0] > 5 * light and div[1] < 1.5 * heavy  # a light load 5x, a heavy one < 1.5x
    # a heavier sitter's loaded pads read higher, but by far less than the load grew
    up_plain, up_pads = mean_load(plain, 60, 140), mean_load(pads, 60, 140)
    loaded = (lay.full_scale - up_plain) > 0.2 * lay.full_scale
    assert ((lay.full_scale - up_pads)[loaded] > (lay.full_scale - up_plain)[loaded]).all()
    declared = Simulator(load("fsr-cushion-9"), script, hz=1, seed=3, noise=0.0)
    assert declared.divider == 0.1  # the layout's figure (the shipped one's) by default
    assert np.array_equal(declared.frames_at(declared.times()), pads.frames_at(pads.times()))
    with pytest.raises(ValueError, match="divider"):
        Simulator(lay, script, divider=-1)
