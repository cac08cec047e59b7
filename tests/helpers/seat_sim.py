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
