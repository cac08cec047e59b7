"""Simulated seat recordings for tests that need a whole session through the pipeline."""

from __future__ import annotations

import numpy as np

from sitwatch.core.kinds import Posture
from sitwatch.evaluation import datasets
from sitwatch.evaluation.population import CLASSES
from sitwatch.sensing import layout
from sitwatch.sim.body import EMPTY, Body
from sitwatch.sim.script import Script, Segment
from sitwatch.sim.simulator import Simulator


def stuck_sitter() -> datasets.Labelled:
    """A heavy sitter on four corner load cells; the rear-right cell sticks at 30% of full
    scale from 4 min in, while the sitter sits upright."""
    lay = layout.load("load-cells-4")
    up = Body(posture=Posture.UPRIGHT, weight=117.0, size=1.07, backrest=0.5, fidget=0.5)
    script = Script([Segment(30.0, EMPTY), Segment(100.0, up), Segment(330.0, up)], "stuck")
    sim = Simulator(lay, script, hz=2.0, seed=27, noise=1.0,
                    stuck=(1, 240.0, float(lay.to_reading(np.array(0.3 * lay.full_scale)))))
    t = sim.times()
    lab = np.where(t < 30, 0, 1)
    return datasets.Labelled("stuck", "stuck", lay, t, sim.frames_at(t).astype(float), lab, {},
                             CLASSES)


#: plate_sitter()'s segments: (seconds, label code as the population's, body)
def _plate_plan(weight: float) -> list[tuple[float, int, Body]]:
    def b(**kw: object) -> Body:
        return Body(weight=weight, fidget=0.3, **kw)  # type: ignore[arg-type]

    return [(30.0, 0, EMPTY), (100.0, 1, b()), (60.0, 1, b()), (60.0, 4, b(lean=-0.45)),
            (60.0, 1, b()), (90.0, 7, b(posture=Posture.SLOUCHED, depth=0.6)), (60.0, 1, b())]


def plate_sitter(weight: float = 80.0) -> datasets.Labelled:
    """A sitter on four corner load cells under a seat plate (``load-cells-4``): upright, a lean
    to the left of 0.45, upright, a gentle slump that keeps the weight on the seat, upright.
    Labels as the population's (0 empty, 1 upright, 4 left, 7 slump)."""
    lay = layout.load("load-cells-4")
    plan = _plate_plan(weight)
    script = Script([Segment(s, body) for s, _, body in plan], "plate")
    sim = Simulator(lay, script, hz=2.0, seed=57, noise=1.0)
    t = sim.times()
    seg = np.clip(np.searchsorted(script.starts, t, side="right") - 1, 0, len(plan) - 1)
    lab = np.array([c for _, c, _ in plan])[seg]
    return datasets.Labelled("plate", "plate", lay, t, sim.frames_at(t).astype(float), lab, {},
                             CLASSES)
